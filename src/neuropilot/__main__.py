from neuropilot.cli import main

raise SystemExit(main())
