"""Policy file loading and the rules it drives."""
