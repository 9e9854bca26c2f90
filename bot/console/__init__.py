"""The operator console (issue 11): accounts and sign-in, the script aid for calls, the handoff
queue and conversations (through bot.handoff_client), and the supervisors' statistics."""
