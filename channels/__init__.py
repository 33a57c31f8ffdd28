"""Channel adapters: they turn a platform's messages into `InboundMessage` and replies back, nothing more."""
