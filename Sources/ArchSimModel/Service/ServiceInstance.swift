// SPDX-License-Identifier: GPL-3.0-or-later

/// One instance of a service tier: a pool of workers with a FIFO queue of waiting requests
/// (thread-per-request), and, when `cores` is set, its cores shared by processor sharing among
/// the requests computing on it.
///
/// It owns its state transitions; the simulation asks it and schedules what follows.
package struct ServiceInstance {
    package let service: Int32
    /// Workers (slots) and the requests waiting for one.
    package private(set) var workers: Pool
    /// CPU shared by processor sharing, when the service gives `cores`.
    package private(set) var cpu: ProcessorSharing?
    /// Whether `cpu` is set (read on every compute step: a stored flag reads in place).
    package let sharesCores: Bool
    /// Requests admitted and not yet answered (waiting, running or waiting downstream): what
    /// least_connections and power_of_two compare.
    package private(set) var open = 0
    /// Whether the load balancer sends requests here (false once a health check found it down,
    /// or while it is not serving).
    package private(set) var balancerSendsTo = true
    /// Serving (false for an autoscaling slot not started, or drained).
    package private(set) var active = true
    /// Started by the autoscaler and not ready yet.
    package private(set) var starting = false
    /// Crashed: requests sent here fail.
    package private(set) var down = false
    /// CPU times are multiplied by this (a `slow` fault).
    package private(set) var slowFactor = 1.0

    package init(service: Int32, workers: Int, queueCapacity: Int?, cores: Int?) {
        self.service = service
        // The tier's busy and queue gauges are the recorder's (one for all instances).
        self.workers = Pool(slots: workers, queueBound: queueCapacity, gauged: false)
        if let cores { cpu = ProcessorSharing(cores: cores) }
        sharesCores = cores != nil
    }

    // MARK: Requests

    /// A request (task) sent here by the balancer: a worker now, a place in the queue, or
    /// rejected when the queue is full.
    @inline(__always) package mutating func admit(_ task: TaskID, at now: Int64) -> Pool.Admission {
        let admission = workers.acquire(task, at: now)
        if admission != .rejected { open += 1 }
        return admission
    }

    /// An admitted task that gave its worker back (`io: async`) needs one again: true if it has
    /// one now; otherwise it waits in the queue, whatever the queue's bound.
    @inline(__always) package mutating func reacquireWorker(_ task: TaskID, at now: Int64) -> Bool {
        workers.acquire(task, at: now, ignoringBound: true) == .granted
    }

    /// A task gives its worker back: the longest-waiting task takes it, or it is free.
    @inline(__always) package mutating func releaseWorker(at now: Int64) -> Pool.Handoff {
        workers.release(at: now)
    }

    /// An admitted request's operation ended here.
    @inline(__always) package mutating func finished() { open -= 1 }


    // MARK: Processor sharing (only with `cores`)

    /// When the next processor-sharing completion comes (a delay from now) and the generation
    /// that identifies its event.
    package typealias NextCompletion = (delay: Int64, generation: UInt32)

    /// `task` starts computing `work` ns; returns the next completion (see
    /// ``ProcessorSharing/nextCompletion()``).
    package mutating func startComputing(_ task: TaskID, work: Int64, at now: Int64) -> NextCompletion? {
        cpu!.add(task, work: work, at: now)
        return nextComputingCompletion()
    }

    /// The completion event of generation `generation` came: appends the tasks done to `done`
    /// and returns true; a stale event returns false and does nothing.
    package mutating func completeComputing(generation: UInt32, at now: Int64, into done: inout [TaskID]) -> Bool {
        guard cpu!.generation & 0xFF_FFFF == generation else { return false }
        cpu!.takeCompleted(at: now, into: &done)
        return true
    }

    /// Invalidates the pending completion event; the next one, if anything computes.
    package mutating func nextComputingCompletion() -> NextCompletion? {
        guard let delay = cpu!.nextCompletion() else { return nil }
        return (delay, cpu!.generation)
    }

    // MARK: Life cycle

    /// Crashes: everything on it is lost. Returns how many workers were busy and how many tasks
    /// waited (for the service's gauges).
    package mutating func crash(at now: Int64) -> (busy: Int, waiting: Int) {
        let lost = (workers.busy, workers.waiting.count)
        down = true
        if cpu != nil { cpu!.clear() }
        workers.clear(at: now)
        open = 0
        return lost
    }

    /// A `slow` fault: CPU times × `factor` (1: normal again).
    package mutating func slow(by factor: Double) { slowFactor = factor }

    /// Back from a crash; the balancer sends to it again after a health check passes.
    package mutating func recover() { down = false }

    /// A health check found it down: the balancer stops sending to it.
    package mutating func healthCheckFailed() { if down { balancerSendsTo = false } }

    /// A health check passed: the balancer sends to it again if it serves.
    package mutating func healthCheckPassed() { if !down && active { balancerSendsTo = true } }

    /// An autoscaling slot that does not serve yet.
    package mutating func makeIdle() { active = false; balancerSendsTo = false }

    /// The autoscaler starts it; it serves after ``becomeReady()``. Only an idle slot with no
    /// work left can start.
    package var canStart: Bool { !active && !starting && open == 0 }
    package mutating func startUp() { starting = true }
    package mutating func becomeReady() {
        starting = false
        active = true
        balancerSendsTo = !down
    }

    /// The autoscaler drains it: no new requests; it finishes what it holds.
    package mutating func drain() { active = false; balancerSendsTo = false }
}
