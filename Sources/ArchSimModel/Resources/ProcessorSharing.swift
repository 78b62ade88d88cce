// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// CPU cores shared by processor sharing: every task computing here progresses at rate
/// min(1, cores / n) when n compute at once (egalitarian PS over `cores` servers).
///
/// Like ``Pool`` it knows nothing of events: ``add(_:work:at:)`` and ``takeCompleted(at:into:)``
/// change its state, then ``nextCompletion(at:)`` tells the owner when to call back (one pending
/// completion event at a time, identified by ``generation``; an older one is stale).
/// `add` is O(1); finding the next completion and taking the completed are O(n).
package struct ProcessorSharing {
    /// A task computing here and the virtual time at which its work is done.
    package struct Job {
        package var task: TaskID
        package var finish: Double
        /// The owner's mark (a host machine keeps the task's generation: a job whose task moved
        /// on is stale).
        package var tag: UInt32 = 0
    }

    package let cores: Int
    /// Jobs computing, in the order they started (kept: completions at one instant come out in
    /// this order).
    package private(set) var jobs: [Job] = []
    /// Work done so far by each job that has computed since the start (ns of work).
    package private(set) var virtualTime = 0.0
    private var virtualSince: Int64 = 0
    /// Identifies the pending completion event; bumped whenever the next completion moves.
    package private(set) var generation: UInt32 = 0

    package init(cores: Int) {
        precondition(cores > 0)
        self.cores = cores
    }

    /// Work done per ns of real time by each computing job.
    package var rate: Double { jobs.isEmpty ? 1 : min(1, Double(cores) / Double(jobs.count)) }

    /// Brings virtual time up to `now` at the current rate.
    private mutating func advance(to now: Int64) {
        if !jobs.isEmpty { virtualTime += Double(now - virtualSince) * rate }
        virtualSince = now
    }

    /// `task` starts computing `work` ns of CPU work.
    package mutating func add(_ task: TaskID, work: Int64, at now: Int64, tag: UInt32 = 0) {
        advance(to: now)
        jobs.append(Job(task: task, finish: virtualTime + Double(work), tag: tag))
    }

    /// Removes the jobs `stale` says are (their tasks were lost). O(n).
    package mutating func removeAll(at now: Int64, where stale: (Job) -> Bool) {
        advance(to: now)
        jobs.removeAll(where: stale)
    }

    /// Invalidates the pending completion event and returns the delay (ns, rounded up) until
    /// the next job completes, or nil when nothing computes. The caller schedules one event
    /// carrying the new ``generation``.
    package mutating func nextCompletion() -> Int64? {
        generation &+= 1
        guard !jobs.isEmpty else { return nil }
        var soonest = Double.infinity
        for job in jobs { soonest = min(soonest, job.finish) }
        let wait = max(0, (soonest - virtualTime) / rate)
        // Many jobs on few cores stretch a long one past Int64: saturate like a sample (the
        // completion event then comes early, finds nothing done and is scheduled again).
        guard wait < 3.6e18 else { return Distribution.maximumSample }
        return Int64(wait.rounded(.up))
    }

    /// Removes the jobs whose work is done by `now` (within half a ns) and appends their tasks to
    /// `done`, in start order.
    package mutating func takeCompleted(at now: Int64, into done: inout [TaskID]) {
        removeCompleted(at: now) { done.append($0.task) }
    }

    /// ``takeCompleted(at:into:)`` with each job's tag.
    package mutating func takeCompletedJobs(at now: Int64, into done: inout [Job]) {
        removeCompleted(at: now) { done.append($0) }
    }

    /// Removes the jobs done by `now` (within half a ns), handing each to `take`, in start order.
    @inline(__always) private mutating func removeCompleted(at now: Int64, _ take: (Job) -> Void) {
        advance(to: now)
        let v = virtualTime
        var kept = 0
        for k in 0..<jobs.count {
            if jobs[k].finish <= v + 0.5 { take(jobs[k]) } else { jobs[kept] = jobs[k]; kept += 1 }
        }
        jobs.removeLast(jobs.count - kept)
    }

    /// Everything computing is lost (a crash); a pending completion event becomes stale.
    package mutating func clear() {
        jobs.removeAll()
        generation &+= 1
    }
}
