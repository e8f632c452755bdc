from kbassist.launch import main

raise SystemExit(main())
