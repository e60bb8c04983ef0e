.PHONY: run test bench lint ci
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
