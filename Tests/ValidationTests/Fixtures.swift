// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel

/// Scenarios built in code for the queueing-theory checks.
enum Fixtures {
    static let ms = 1_000_000.0
    static let second: Int64 = 1_000_000_000

    /// One service with `workers` workers, Poisson arrivals at `rate`/s, service time `service`.
    static func singleQueue(rate: Double, workers: Int = 1, service: Distribution, seconds: Int64,
                            warmup: Int64 = 10, replications: Int = 4, seed: UInt64 = 42) -> Scenario {
        Scenario(name: "q", seed: seed, duration: seconds * second, warmup: warmup * second,
                 replications: replications,
                 workload: Workload(arrivals: .open(process: .poisson, rate: .constant(rate)),
                                    requestTypes: [RequestType(name: "req", weight: 1)]),
                 architecture: Architecture(routes: [OperationRef(service: 0, operation: 0)],
                                            services: [Service(name: "app", workers: workers,
                                                               operations: [Operation(name: "op", cpu: service)])]))
    }
}
