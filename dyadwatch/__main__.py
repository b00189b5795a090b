"""``python -m dyadwatch`` runs the CLI."""

from dyadwatch.present.cli.main import run

if __name__ == "__main__":
    run()
