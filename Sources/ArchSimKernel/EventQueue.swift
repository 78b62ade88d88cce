// SPDX-License-Identifier: GPL-3.0-or-later

/// One scheduled event: when it happens, its place in scheduling order, and an opaque payload
/// that the model decodes (the kernel knows nothing of what events mean).
public struct Event: Sendable {
    /// Simulated time in nanoseconds.
    public var time: Int64
    /// Scheduling order: unique and increasing; breaks ties between equal times (FIFO).
    public var sequence: UInt64
    /// What happens, encoded by the model (e.g. kind and index packed into 64 bits).
    public var payload: UInt64

    @inlinable public init(time: Int64, sequence: UInt64, payload: UInt64) {
        self.time = time; self.sequence = sequence; self.payload = payload
    }
}

/// The event list and clock: a binary min-heap ordered by (time, sequence).
///
/// Events at the same time run in the order they were scheduled — a documented rule, never left
/// to the heap's internals or to chance. Scheduling into the past is a programming error and
/// traps. `schedule` and `next` are O(log n) and allocate only when the heap outgrows its
/// capacity (amortised; the capacity is kept), so a steady-state run allocates nothing per event.
public struct EventQueue: Sendable {
    /// Current simulated time (ns): the time of the last event taken by ``next()``.
    @inlinable public var now: Int64 { _now }
    /// Events taken so far.
    @inlinable public var processed: UInt64 { _processed }
    @usableFromInline var _now: Int64 = 0
    @usableFromInline var _processed: UInt64 = 0
    @usableFromInline var heap: [Event] = []
    @usableFromInline var nextSequence: UInt64 = 0

    public init(reservingCapacity capacity: Int = 1024) { heap.reserveCapacity(capacity) }

    /// Number of pending events.
    @inlinable public var count: Int { heap.count }
    @inlinable public var isEmpty: Bool { heap.isEmpty }

    /// Schedules `payload` to happen `delay` ns from now (delay ≥ 0). O(log n). A time past
    /// `Int64.max` saturates there: such an event never runs before any end of run.
    @inlinable public mutating func schedule(after delay: Int64, _ payload: UInt64) {
        precondition(delay >= 0, "negative delay \(delay) ns")
        let (time, overflow) = now.addingReportingOverflow(delay)
        schedule(at: overflow ? .max : time, payload)
    }

    /// Schedules `payload` at absolute time `time` (≥ now). O(log n).
    @inlinable public mutating func schedule(at time: Int64, _ payload: UInt64) {
        precondition(time >= now, "event scheduled in the past: \(time) < now \(now)")
        let event = Event(time: time, sequence: nextSequence, payload: payload)
        nextSequence &+= 1
        heap.append(event)
        siftUp(heap.count - 1, event)
    }

    /// Takes the earliest event (ties: earliest scheduled) if it is before `limit`, advancing
    /// the clock to it. Returns nil, leaving the event pending, otherwise. O(log n).
    @inlinable public mutating func next(before limit: Int64 = .max) -> Event? {
        guard let first = heap.first, first.time < limit else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty { siftDown(0, last) }
        _now = first.time
        _processed &+= 1
        return first
    }

    /// Moves the clock forward to `time` without an event (end of run). `time` ≥ now.
    public mutating func advance(to time: Int64) {
        precondition(time >= now)
        _now = time
    }

    @inlinable static func before(_ a: Event, _ b: Event) -> Bool {
        a.time < b.time || (a.time == b.time && a.sequence < b.sequence)
    }

    @inlinable mutating func siftUp(_ start: Int, _ event: Event) {
        var i = start
        heap.withUnsafeMutableBufferPointer { h in
            while i > 0 {
                let parent = (i - 1) >> 1
                if !Self.before(event, h[parent]) { break }
                h[i] = h[parent]
                i = parent
            }
            h[i] = event
        }
    }

    @inlinable mutating func siftDown(_ start: Int, _ event: Event) {
        var i = start
        heap.withUnsafeMutableBufferPointer { h in
            let n = h.count
            while true {
                var child = 2 * i + 1
                if child >= n { break }
                if child + 1 < n && Self.before(h[child + 1], h[child]) { child += 1 }
                if !Self.before(h[child], event) { break }
                h[i] = h[child]
                i = child
            }
            h[i] = event
        }
    }
}
