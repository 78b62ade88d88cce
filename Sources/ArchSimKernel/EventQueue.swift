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

/// The event list and clock: a binary min-heap ordered by (time, sequence), plus FIFO lanes for
/// timeouts.
///
/// Events at the same time run in the order they were scheduled — a documented rule, never left
/// to the heap's internals or to chance. Scheduling into the past is a programming error and
/// traps. `schedule` and `next` are O(log n) and allocate only when the heap outgrows its
/// capacity (amortised; the capacity is kept), so a steady-state run allocates nothing per event.
///
/// Timeouts are most of what is pending in a large model (a request waits out a 2 s timeout
/// while its work takes milliseconds), and they share a few constant delays. Events scheduled
/// with ``scheduleTimeout(after:_:)`` go to a lane per delay: a FIFO whose events are already
/// in (time, sequence) order, because the clock never goes back and sequences grow. So a
/// timeout costs O(1) to schedule and to take, and the heap holds only the rest. ``next(before:)``
/// takes the earliest of the heap's top and the lanes' heads by the same (time, sequence) rule:
/// the order of events is exactly the heap-only order.
///
/// Some events are replaced before they happen: an instance's next processor-sharing
/// completion moves whenever a job starts. Scheduled with ``scheduleKeyed(_:after:_:)``, such an
/// event has a key, and scheduling another with the same key takes the first one out (as
/// ``cancelKeyed(_:)`` does): it never runs, instead of running for nothing. These events wait in
/// a small indexed heap of their own, at most one per key, under the same (time, sequence) rule.
public struct EventQueue: Sendable {
    /// Current simulated time (ns): the time of the last event taken by ``next()``.
    @inlinable public var now: Int64 { _now }
    /// Events taken so far.
    @inlinable public var processed: UInt64 { _processed }
    @usableFromInline var _now: Int64 = 0
    @usableFromInline var _processed: UInt64 = 0
    @usableFromInline var heap: [Event] = []
    @usableFromInline var nextSequence: UInt64 = 0
    /// Timeout lanes, one per delay, in order of first use (at most ``maxLanes``).
    @usableFromInline var lanes: [TimeoutLane] = []
    /// Events in the lanes.
    @usableFromInline var laneCount = 0
    /// More distinct timeout delays than this go to the heap (each lane costs a comparison per event).
    public static let maxLanes = 8
    /// Keyed events: a binary min-heap, the key of each entry, and each key's position in it
    /// (-1: none pending).
    @usableFromInline var keyed: [Event] = []
    @usableFromInline var keyedKeys: [Int32] = []
    @usableFromInline var keyedPosition: [Int32] = []

    public init(reservingCapacity capacity: Int = 1024) { heap.reserveCapacity(capacity) }

    /// Number of pending events.
    @inlinable public var count: Int { heap.count + laneCount + keyed.count }
    @inlinable public var isEmpty: Bool { count == 0 }

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

    /// Schedules `payload` to happen `delay` ns from now (delay ≥ 0), for events of which many are
    /// pending with the same constant delay (timeouts). Same order as ``schedule(after:_:)``; O(1)
    /// for up to ``maxLanes`` distinct delays, O(log n) (the heap) beyond.
    @inlinable public mutating func scheduleTimeout(after delay: Int64, _ payload: UInt64) {
        precondition(delay >= 0, "negative delay \(delay) ns")
        let (sum, overflow) = now.addingReportingOverflow(delay)
        let time = overflow ? Int64.max : sum
        var l = 0
        while l < lanes.count && lanes[l].delay != delay { l += 1 }
        if l == lanes.count {
            guard l < Self.maxLanes else { return schedule(at: time, payload) }
            lanes.append(TimeoutLane(delay: delay))
        }
        // The clock never goes back, so a constant delay keeps each lane in time order.
        let event = Event(time: time, sequence: nextSequence, payload: payload)
        nextSequence &+= 1
        lanes[l].append(event)
        laneCount += 1
    }

    /// Schedules `payload` to happen `delay` ns from now (delay ≥ 0) as the one pending event of
    /// `key` (≥ 0): an event of `key` still pending is taken out and never runs. Same order as
    /// ``schedule(after:_:)``. O(log k) for k keys pending.
    @inlinable public mutating func scheduleKeyed(_ key: Int, after delay: Int64, _ payload: UInt64) {
        precondition(delay >= 0, "negative delay \(delay) ns")
        let (sum, overflow) = now.addingReportingOverflow(delay)
        let event = Event(time: overflow ? .max : sum, sequence: nextSequence, payload: payload)
        nextSequence &+= 1
        if key >= keyedPosition.count { growKeys(to: key) }
        let at = Int(keyedPosition[key])
        if at < 0 {
            keyed.append(event)
            keyedKeys.append(Int32(key))
            keyedSiftUp(keyed.count - 1, event, key: Int32(key))
        } else if Self.before(event, keyed[at]) {
            keyedSiftUp(at, event, key: Int32(key))
        } else {
            keyedSiftDown(at, event, key: Int32(key))
        }
    }

    /// Takes out the pending event of `key`, if any: it never runs.
    @inlinable public mutating func cancelKeyed(_ key: Int) {
        guard key < keyedPosition.count else { return }
        let at = Int(keyedPosition[key])
        guard at >= 0 else { return }
        keyedPosition[key] = -1
        removeKeyed(at: at)
    }

    @usableFromInline mutating func growKeys(to key: Int) {
        keyedPosition += repeatElement(-1, count: Swift.max(key + 1, 2 * keyedPosition.count) - keyedPosition.count)
    }

    /// Takes the earliest event (ties: earliest scheduled) if it is before `limit`, advancing
    /// the clock to it. Returns nil, leaving the event pending, otherwise. O(log n).
    @inlinable public mutating func next(before limit: Int64 = .max) -> Event? {
        if laneCount > 0 || !keyed.isEmpty { return nextOfAll(before: limit) }
        guard let first = heap.first, first.time < limit else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty { siftDown(0, last) }
        _now = first.time
        _processed &+= 1
        return first
    }

    /// ``next(before:)`` when some lane or the keyed heap holds events: the earliest of the
    /// heap's top, the lanes' heads and the keyed heap's top.
    @inlinable mutating func nextOfAll(before limit: Int64) -> Event? {
        var lane = -1   // -2: the keyed heap
        var best = Event(time: .max, sequence: .max, payload: 0)
        if let first = heap.first { best = first }
        if let first = keyed.first, Self.before(first, best) { best = first; lane = -2 }
        for l in 0..<lanes.count where lanes[l].count > 0 {
            let head = lanes[l].first
            if Self.before(head, best) { best = head; lane = l }
        }
        guard best.time < limit, lane != -1 || !heap.isEmpty else { return nil }
        if lane >= 0 {
            lanes[lane].removeFirst()
            laneCount -= 1
        } else if lane == -2 {
            keyedPosition[Int(keyedKeys[0])] = -1
            removeKeyed(at: 0)
        } else {
            let last = heap.removeLast()
            if !heap.isEmpty { siftDown(0, last) }
        }
        _now = best.time
        _processed &+= 1
        return best
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

extension EventQueue {
    /// Removes the keyed heap's entry at `at` (its key's position already cleared).
    @inlinable mutating func removeKeyed(at: Int) {
        let last = keyed.removeLast(), lastKey = keyedKeys.removeLast()
        guard at < keyed.count else { return }
        if Self.before(last, keyed[at]) { keyedSiftUp(at, last, key: lastKey) } else { keyedSiftDown(at, last, key: lastKey) }
    }

    /// Places `event` of `key` at `start` or above, keeping each key's position.
    @inlinable mutating func keyedSiftUp(_ start: Int, _ event: Event, key: Int32) {
        var i = start
        while i > 0 {
            let parent = (i &- 1) >> 1
            if !Self.before(event, keyed[parent]) { break }
            keyedPut(i, keyed[parent], key: keyedKeys[parent])
            i = parent
        }
        keyedPut(i, event, key: key)
    }

    /// Puts `event` of `key` at heap slot `i` and records where the key is.
    @inlinable @inline(__always) mutating func keyedPut(_ i: Int, _ event: Event, key: Int32) {
        keyed[i] = event
        keyedKeys[i] = key
        keyedPosition[Int(key)] = Int32(i)
    }

    /// Places `event` of `key` at `start` or below, keeping each key's position.
    @inlinable mutating func keyedSiftDown(_ start: Int, _ event: Event, key: Int32) {
        var i = start
        let n = keyed.count
        while true {
            var child = 2 &* i &+ 1
            if child >= n { break }
            if child &+ 1 < n && Self.before(keyed[child &+ 1], keyed[child]) { child &+= 1 }
            if !Self.before(keyed[child], event) { break }
            keyedPut(i, keyed[child], key: keyedKeys[child])
            i = child
        }
        keyedPut(i, event, key: key)
    }
}

/// The events scheduled with one timeout delay, in (time, sequence) order: a FIFO of fixed-size
/// chunks. A drained chunk is kept for reuse, so a steady state allocates nothing, and memory
/// follows the pending count (no doubling, no copy when it grows).
@usableFromInline struct TimeoutLane: Sendable {
    @usableFromInline static let chunkSize = 4096
    @usableFromInline let delay: Int64
    /// Chunks in FIFO order from `firstChunk`; entries before it are drained (empty arrays).
    @usableFromInline var chunks: [ContiguousArray<Event>] = []
    @usableFromInline var firstChunk = 0
    /// Position of the earliest event in `chunks[firstChunk]`.
    @usableFromInline var head = 0
    /// Events in the last chunk (``chunkSize`` when it is full or there is none).
    @usableFromInline var tail = TimeoutLane.chunkSize
    @usableFromInline var count = 0
    /// Drained chunks, kept for reuse.
    @usableFromInline var spare: [ContiguousArray<Event>] = []

    @usableFromInline init(delay: Int64) { self.delay = delay }

    /// The earliest event (count > 0).
    @inlinable var first: Event { chunks[firstChunk][head] }

    @inlinable mutating func append(_ event: Event) {
        if tail == Self.chunkSize { addChunk() }
        chunks[chunks.count &- 1][tail] = event
        tail &+= 1
        count &+= 1
    }

    /// Removes the earliest event (count > 0).
    @inlinable mutating func removeFirst() {
        head &+= 1
        count &-= 1
        if head == Self.chunkSize { dropFirstChunk() }
    }

    @usableFromInline mutating func addChunk() {
        chunks.append(spare.popLast() ?? ContiguousArray(repeating: Event(time: 0, sequence: 0, payload: 0),
                                                         count: Self.chunkSize))
        tail = 0
    }

    @usableFromInline mutating func dropFirstChunk() {
        spare.append(chunks[firstChunk])
        chunks[firstChunk] = []
        firstChunk += 1
        head = 0
        if firstChunk == chunks.count {  // drained; the next append starts a chunk
            chunks.removeAll(keepingCapacity: true)
            firstChunk = 0
            tail = Self.chunkSize
        } else if firstChunk >= 64 && firstChunk * 2 >= chunks.count {
            chunks.removeFirst(firstChunk)
            firstChunk = 0
        }
    }
}
