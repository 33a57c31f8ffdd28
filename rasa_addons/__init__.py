"""Code that runs inside the Rasa process (Python 3.10, .venv-rasa); it imports only Rasa and the stdlib."""
