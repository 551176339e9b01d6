from tui_inventory.cli import main

raise SystemExit(main())
