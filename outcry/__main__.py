from outcry.cli import main

# Guarded: a process spawned by this one (an export's helper) imports the main module again.
if __name__ == "__main__":
    main()
