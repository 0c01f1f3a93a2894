// The server moved to fixtures/ so the benchmarks can start one too; tests may import it from here.
export * from '../../fixtures/postgres-server.js'
