// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import Foundation
import PostgresNIO

/// Connections past max_connections, against Erlang's loss formula (M/G/c/c: a connection slot is
/// a server, a refused connection is lost; the blocking probability depends on the holding time
/// only through its mean).
///
/// Poisson arrivals each open a new connection, run `SELECT pg_sleep(h)` (h exponential, mean
/// `hold`) and close. PostgreSQL runs with max_connections = c and no superuser reserve, so the
/// (c+1)-th concurrent connection is refused with SQLSTATE 53300 ("sorry, too many clients
/// already"). Real: refused / attempted. Predicted: Erlang B(c, λ·E[H]) with λ the arrival rate
/// and E[H] the mean holding time of the accepted connections: from the backend's start
/// (pg_stat_activity.backend_start, at the fork) to the end of its work, plus the close.
public struct ConnectionLimitCheck: Sendable {
    public var maxConnections = 8
    public var hold = 0.100
    /// Offered load in erlangs of sleep (the holding time adds the connection's setup).
    public var offered = 8.0
    public var duration = 60.0
    public var seed: UInt64 = 3
    public var tolerancePercent = 20.0

    public init() {}

    static let backendAge: PostgresQuery = "SELECT extract(epoch FROM clock_timestamp() - backend_start)::float8 FROM pg_stat_activity WHERE pid = pg_backend_pid()"

    public func run(lab: Lab, server: PostgreSQLServer) async throws -> (MechanismResult, PostgreSQLServer) {
        let original = server.settings
        var settings = original
        settings.maxConnections = maxConnections
        settings.superuserReservedConnections = 0
        let limited = try await lab.restart(server, settings: settings)

        let streams = RandomStreams(seed: seed)
        let rate = offered / hold
        let offsets = poissonOffsets(rate: rate, duration: duration, stream: streams.stream("lab.connections.arrivals"))
        let holdStream = streams.stream("lab.connections.hold")
        let holds = offsets.map { _ in -log(holdStream.uniformPositive()) * hold }
        let tally = Tally()
        await openLoop(offsets) { i in
            do {
                let c = try await limited.connect()
                do {
                    try await c.query("SELECT pg_sleep(\(holds[i]))", logger: labLogger)
                    // The slot is taken when the backend starts (just after the fork) and given
                    // back when it exits: its age at the end of the statement, plus the close.
                    var age = Double.nan
                    for try await (a) in try await c.query(Self.backendAge, logger: labLogger).decode(Double.self) { age = a }
                    let returned = wallSeconds()
                    try? await c.close()
                    tally.add("holding", age + wallSeconds() - returned)
                } catch {
                    try? await c.close()
                    tally.count("errors")
                }
            } catch let e as PSQLError where e.serverInfo?[.sqlState] == "53300" {
                tally.count("refused")
            } catch {
                tally.count("errors")
            }
        }
        let refused = tally.number("refused"), errors = tally.number("errors")
        guard Double(errors) <= 0.01 * Double(offsets.count) else {
            throw LabError("connection check: \(errors) of \(offsets.count) connections failed other than by the limit")
        }
        let holding = tally.list("holding").mean
        let lambda = Double(offsets.count) / duration
        let load = lambda * holding
        let predicted = QueueingFormulas.erlangB(servers: maxConnections, load: load)
        // The simulator: `connections` = `max_connections` = c (none wait; the next is rejected),
        // each query holding its connection for a measured holding time (resampled).
        let sim = try LabSimulation.run("connections", yaml: LabSimulation.scenario(
            name: "connections", seed: seed, duration: "2000s", warmup: "10s", rate: lambda,
            keys: "    none: {count: 1, popularity: uniform}",
            requests: "    connect: {weight: 1}", routes: "connect: client.connect",
            operations: "        connect: {steps: [{db_read: pg}]}",
            rest: """
              databases:
                pg:
                  primary: {connections: \(maxConnections), max_connections: \(maxConnections), read: empirical("holding.csv"), write: constant(1us)}
            """), files: ["holding.csv": LabSimulation.samples(tally.list("holding"))])
        var result = MechanismResult(
            check: "connection_blocking", theory: "Erlang B (M/G/c/c)",
            setting: String(format: "max_connections %d, Poisson %.1f/s for %.0f s, pg_sleep exp mean %.0f ms, a new connection each",
                            maxConnections, rate, duration, hold * 1000),
            samples: offsets.count, real: Double(refused) / Double(offsets.count), predicted: predicted,
            errorUnit: "percent", tolerance: tolerancePercent,
            inputs: String(format: "lambda %.2f/s, E[H] %.2f ms (backend start to close), load %.3f erlangs, %d refused, %d other errors",
                           lambda, holding * 1000, load, refused, errors))
        result.simulated = try LabSimulation.metric(sim, "connect/rejected") / LabSimulation.metric(sim, "connect/offered")
        return (result, try await lab.restart(limited, settings: original))
    }
}
