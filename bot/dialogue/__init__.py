"""What the bot says: the localised texts of domain.yml, rendered for a language."""
