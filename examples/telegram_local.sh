#!/usr/bin/env bash
# Run the bot against the local, strict Telegram Bot API server used by the tests, and chat with it
# from this terminal as Telegram user 1001 (an admin). Nothing leaves 127.0.0.1.
#   bash examples/telegram_local.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL="sqlite:///./data/example-telegram.db"
export TELEGRAM_BOT_TOKEN="123456:LOCAL-TEST-TOKEN"
export TELEGRAM_API_URL="http://127.0.0.1:8081"
export BOT_ADMINS="telegram:1001"
.venv/bin/directive-bot run > data/example-telegram-bot.log 2>&1 &
bot=$!
trap 'kill $bot 2>/dev/null; wait $bot 2>/dev/null' EXIT
echo "Bot log: data/example-telegram-bot.log. Type messages; /start to begin; Ctrl-D to stop."
.venv/bin/python -m tests.fakes.telegram_server --port 8081 --token "$TELEGRAM_BOT_TOKEN" --auto-users --quiet --repl 1001
