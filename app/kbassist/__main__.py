from kbassist.launch import command

raise SystemExit(command())
