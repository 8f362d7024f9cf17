from consolidate.cli import main

main()
