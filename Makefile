.PHONY: run test bench lint ci cluster chaos
run:   ## set up and run the app with the WorkOS emulator and demo data
	./scripts/run.sh
test:  ## set up and run the whole test suite
	./scripts/test.sh
bench: ## benchmarks (printed tables, saved as JSON)
	./scripts/bench.sh
lint:  ## lint, format, types and migrations, as CI checks them
	./scripts/lint.sh
ci:
	bash .ci/run
cluster: ## three instances behind nginx on PostgreSQL and Redis, with the emulator (scripts/cluster.py stop)
	.venv/bin/python scripts/cluster.py start
chaos: ## the fault run against that cluster: a table of what people met during each fault
	.venv/bin/python scripts/cluster.py chaos
