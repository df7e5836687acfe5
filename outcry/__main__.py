from outcry.cli import main

main()
