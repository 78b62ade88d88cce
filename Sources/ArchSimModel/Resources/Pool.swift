// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimStats
import DequeModule

/// Identical slots held one at a time by tasks — a service instance's workers, a database
/// server's connections, and (next) a client connection pool, a row's lock, a cache node's
/// workers, a disk — with a FIFO queue of tasks waiting for one.
///
/// A task asks for a slot (``acquire(_:at:)``): it gets one, joins the queue, or is rejected
/// when the queue is at its bound. A released slot is handed to the longest-waiting task, so a
/// slot never sits free while someone waits. Anonymous *urgent* waiters (a replica's apply jobs,
/// which are not behind the clients in the connection queue) are served before queued tasks.
///
/// The pool knows nothing of events: it tells its owner what happened (``Admission``,
/// ``Handoff``) and the owner schedules what follows. It keeps its own time-weighted gauges of
/// busy slots and queue length. Every operation is O(1) but ``cancel(_:at:)`` and
/// ``clear(at:)`` (O(waiting)). A wait deadline is the owner's: it schedules a timeout event and
/// calls ``cancel(_:at:)`` if the task still waits.
package struct Pool {
    /// A task waiting for a slot and since when (ns).
    package struct Waiter: Equatable {
        package var task: TaskID
        package var since: Int64
    }

    /// What ``acquire(_:at:)`` did.
    package enum Admission: Equatable {
        /// The task holds a slot now.
        case granted
        /// The task waits in the queue.
        case queued
        /// The queue is full: the task gets no slot.
        case rejected
    }

    /// What ``release(at:)`` did with the freed slot.
    package enum Handoff: Equatable {
        /// Nobody waited: the slot is free.
        case freed
        /// An urgent waiter took it.
        case urgent
        /// The longest-waiting task took it after waiting `waited` ns.
        case task(TaskID, waited: Int64)
    }

    /// Number of slots (`Int.max`: unbounded).
    package let slots: Int
    /// Tasks allowed to wait (`Int.max`: unbounded); past it ``acquire(_:at:)`` rejects.
    package let queueBound: Int
    /// Slots held now.
    package private(set) var busy = 0
    /// Tasks waiting, longest-waiting first.
    package private(set) var waiting = Deque<Waiter>()
    /// Anonymous urgent waiters, served before `waiting`.
    package private(set) var urgent = 0
    /// Whether the pool keeps the two gauges below. A service tier measures busy workers and
    /// queue length per tier, all its instances in one gauge (the recorder's), so its instances'
    /// pools keep none: the same bookkeeping twice on every request would be waste.
    package let gauged: Bool
    /// Busy slots over time (reset by ``restartGauges(at:)`` at the end of the warm-up).
    package private(set) var busyGauge = TimeWeighted()
    /// Waiting tasks over time (urgent waiters are not counted).
    package private(set) var queueGauge = TimeWeighted()

    package init(slots: Int, queueBound: Int? = nil, gauged: Bool = true) {
        precondition(slots > 0, "a pool needs at least one slot")
        self.slots = slots
        self.queueBound = queueBound ?? Int.max
        self.gauged = gauged
    }

    /// Whether a slot is free now.
    @inline(__always) package var hasFreeSlot: Bool { busy < slots }

    /// `task` asks for a slot: granted if one is free, else queued, unless the queue is at its
    /// bound (rejected). `ignoringBound` queues past the bound (a task admitted earlier that
    /// needs the slot back).
    @inline(__always)
    package mutating func acquire(_ task: TaskID, at now: Int64, ignoringBound: Bool = false) -> Admission {
        if busy < slots {
            take(at: now)
            return .granted
        }
        guard ignoringBound || waiting.count < queueBound else { return .rejected }
        waiting.append(Waiter(task: task, since: now))
        if gauged { queueGauge.add(1, at: now) }
        return .queued
    }

    /// An anonymous urgent waiter asks for a slot: true if granted now, else it waits (before
    /// every queued task) and gets the next freed slot.
    package mutating func acquireUrgent(at now: Int64) -> Bool {
        if busy < slots { take(at: now); return true }
        urgent += 1
        return false
    }

    /// Takes a free slot.
    @inline(__always) package mutating func take(at now: Int64) {
        busy += 1
        if gauged { busyGauge.add(1, at: now) }
    }

    /// A slot is given back: it goes to an urgent waiter, else to the longest-waiting task,
    /// else it is free.
    @inline(__always)
    package mutating func release(at now: Int64) -> Handoff {
        if urgent > 0 {
            urgent -= 1
            return .urgent
        }
        if let next = waiting.popFirst() {
            if gauged { queueGauge.add(-1, at: now) }
            return .task(next.task, waited: now - next.since)
        }
        busy -= 1
        if gauged { busyGauge.add(-1, at: now) }
        return .freed
    }

    /// Removes a waiting task (its wait deadline passed, say). Returns whether it was waiting.
    /// O(waiting).
    package mutating func cancel(_ task: TaskID, at now: Int64) -> Bool {
        guard let i = waiting.firstIndex(where: { $0.task == task }) else { return false }
        waiting.remove(at: i)
        if gauged { queueGauge.add(-1, at: now) }
        return true
    }

    /// Everything is lost at once (a crash): no slot is held, nobody waits. Returns the tasks
    /// that were waiting, longest-waiting first.
    @discardableResult
    package mutating func clear(at now: Int64) -> Deque<Waiter> {
        if gauged { busyGauge.add(-Double(busy), at: now) }
        if gauged { queueGauge.add(-Double(waiting.count), at: now) }
        let dropped = waiting
        busy = 0
        urgent = 0
        waiting.removeAll()
        return dropped
    }

    /// The waiting tasks are gone (their owner crashed); the slots held stay held until
    /// released.
    package mutating func dropWaiters(at now: Int64 = 0) {
        if gauged { queueGauge.add(-Double(waiting.count), at: now) }
        waiting.removeAll()
    }

    /// Gauges measure afresh from `now` (end of the warm-up), keeping the current values.
    package mutating func restartGauges(at now: Int64) {
        busyGauge.restart(at: now)
        queueGauge.restart(at: now)
    }
}
