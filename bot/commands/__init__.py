"""One module per ``directive-bot`` subcommand (see :mod:`bot.cli`)."""
