from intsync.cli.main import main

main()
