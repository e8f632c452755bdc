from kbassist.cli import main

raise SystemExit(main())
