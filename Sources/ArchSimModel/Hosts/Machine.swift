// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimStats

/// One machine of a host (format 1.1 `hosts:`): the CPU work of every component placed on it —
/// services' `cpu`, database servers' `read` and `write` times — shares its `cores` by processor
/// sharing. Waits (delays, hops, disk misses, flushes, lock and connection waits) use no CPU.
///
/// A job is a task's piece of work, tagged with the task's generation: a job whose task moved on
/// (failed, freed) is stale and is ignored or purged. Like ``ProcessorSharing``, it knows nothing
/// of events: the owner schedules the completion event ``next()`` names.
package struct Machine {
    package let name: String
    package let cores: Int
    package private(set) var cpu: ProcessorSharing
    package var down = false
    /// CPU work added is multiplied by this (a `slow` fault on the machine).
    package var slowFactor = 1.0
    /// CPU work added is multiplied by this too: cores / (cores − background), the share of every
    /// core that background work outside the model leaves (`hosts.NAME.background`).
    package let backgroundStretch: Double
    /// How much longer CPU work takes here than on an idle machine of `cores` cores.
    package var stretch: Double { slowFactor * backgroundStretch }
    /// Busy cores over time: min(jobs, cores).
    package private(set) var busyCores = TimeWeighted()
    /// Jobs completed after the warm-up.
    package private(set) var completed = 0

    package init(name: String, cores: Int, background: Double = 0) {
        self.name = name
        self.cores = cores
        backgroundStretch = NetworkModel.backgroundStretch(HostKind(name: name, cores: cores, background: background))
        cpu = ProcessorSharing(cores: cores)
    }

    private mutating func updateBusy(at now: Int64) { busyCores.set(Double(min(cpu.jobs.count, cores)), at: now) }

    /// `task` (of generation `tag`) starts `work` ns of CPU work here; returns the next
    /// completion to schedule.
    package mutating func add(_ task: TaskID, work: Int64, tag: UInt32, at now: Int64) -> ServiceInstance.NextCompletion? {
        cpu.add(task, work: work, at: now, tag: tag)
        updateBusy(at: now)
        return next()
    }

    /// The completion event of `generation` came: appends the jobs done to `done` and returns
    /// true (a stale event: false).
    package mutating func complete(generation: UInt32, at now: Int64, counted: Bool, into done: inout [ProcessorSharing.Job]) -> Bool {
        guard cpu.generation & 0xFF_FFFF == generation else { return false }
        let before = done.count
        cpu.takeCompletedJobs(at: now, into: &done)
        if counted { completed += done.count - before }
        updateBusy(at: now)
        return true
    }

    /// Invalidates the pending completion event; the next one, if anything computes.
    package mutating func next() -> ServiceInstance.NextCompletion? {
        guard let delay = cpu.nextCompletion() else { return nil }
        return (delay, cpu.generation)
    }

    /// Removes the jobs whose tasks moved on; returns the next completion to schedule.
    package mutating func purge(at now: Int64, where stale: (ProcessorSharing.Job) -> Bool) -> ServiceInstance.NextCompletion? {
        cpu.removeAll(at: now, where: stale)
        updateBusy(at: now)
        return next()
    }

    /// The machine crashed: everything computing is lost.
    package mutating func crash(at now: Int64) {
        down = true
        cpu.clear()
        updateBusy(at: now)
    }

    package mutating func restartGauges(at now: Int64) { busyCores.restart(at: now) }
}
