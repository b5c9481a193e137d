from bakso_tui.cli import main

main()
