"""API request/response models that are not shared contracts (those live in ``contracts/``)."""
