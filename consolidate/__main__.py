from consolidate.cli import run

run()
