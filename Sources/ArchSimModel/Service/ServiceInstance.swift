// SPDX-License-Identifier: GPL-3.0-or-later
import DequeModule

/// One instance of a service tier: a pool of workers, a FIFO queue of waiting requests, and,
/// when `cores` is set, processor sharing of CPU work among the requests computing on it.
struct ServiceInstance {
    let service: Int32
    let workers: Int
    /// Waiting requests allowed; Int.max when unbounded.
    let queueCapacity: Int
    /// 0 = no core limit.
    let cores: Int
    /// Workers in use.
    var busy = 0
    /// Tasks waiting for a worker, in arrival order.
    var queue = Deque<Int32>()
    /// Requests admitted and not yet answered (waiting, running or waiting downstream): what
    /// least_connections and power_of_two compare.
    var open = 0
    /// Whether the load balancer sends requests here (false once a health check found it down).
    var balancerSendsTo = true
    /// Serving (false for an autoscaling slot not started, or drained).
    var active = true
    /// Started by the autoscaler and not ready yet.
    var starting = false
    /// Crashed: requests sent here fail.
    var down = false
    /// CPU times are multiplied by this (a `slow` fault).
    var slowFactor = 1.0

    // Processor sharing (only with cores > 0): every computing task progresses at rate
    // min(1, cores / n). `virtualTime` counts work done by each of them so far (ns of work).
    var computing: [Int32] = []
    var virtualTime = 0.0
    var virtualSince: Int64 = 0
    /// Generation of the pending "next completion" event; a stale one is ignored.
    var completionGeneration: UInt32 = 0

    init(service: Int32, workers: Int, queueCapacity: Int?, cores: Int?) {
        self.service = service
        self.workers = workers
        self.queueCapacity = queueCapacity ?? Int.max
        self.cores = cores ?? 0
    }

    /// Work done per ns of real time by each computing task.
    var shareRate: Double {
        computing.isEmpty ? 1 : min(1, Double(cores) / Double(computing.count))
    }

    /// Brings virtual time up to `now` at the current share rate.
    mutating func advanceVirtualTime(to now: Int64) {
        if !computing.isEmpty { virtualTime += Double(now - virtualSince) * shareRate }
        virtualSince = now
    }
}
