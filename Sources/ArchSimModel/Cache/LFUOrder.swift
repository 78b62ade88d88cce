// SPDX-License-Identifier: GPL-3.0-or-later

/// Least frequently used, O(1) per operation (K. Shah, A. Mitra, D. Matani, "An O(1) algorithm
/// for implementing the LFU cache eviction scheme", 2010): a list of frequency buckets in
/// increasing frequency, each holding the slots used that many times in a recency list (head =
/// most recent). A use moves a slot to the bucket of frequency + 1 (made next to its own if
/// missing; an emptied bucket is released); a new key enters frequency 1; the victim is the
/// least recently used slot of the lowest frequency.
///
/// "In-cache" LFU: a key's count lives only while it is cached; an evicted, expired or deleted
/// key starts again at 1. Memory: 12 bytes per slot (links + bucket index) plus 24 bytes per
/// bucket; there are at most count + 1 buckets, in practice far fewer (one per distinct count).
struct LFUOrder: CacheEvictionOrder {
    struct Bucket: Equatable {
        /// Uses of every key in this bucket (≥ 1).
        var frequency: Int
        /// Neighbouring buckets by frequency (−1 = none); a released bucket chains the free
        /// list through `next`.
        var prev: Int32
        var next: Int32
        var ends: CacheListEnds
    }

    let capacity: Int
    private(set) var links = CacheSlotLinks()
    /// Slot → its bucket.
    private(set) var bucketOf: [Int32] = []
    /// Bucket pool; live buckets are chained from `lowest`, released ones from `freeBucket`.
    private(set) var buckets: [Bucket] = []
    private(set) var lowest: Int32 = -1
    private var freeBucket: Int32 = -1

    init(capacity: Int) { self.capacity = capacity }

    mutating func append(_ slot: Int32) {
        links.append(limit: capacity)
        bucketOf.appendCapped(-1, limit: capacity)
        enterAtFrequencyOne(slot)
    }

    mutating func touch(_ slot: Int32) {
        let s = Int(slot)
        let b = bucketOf[s]
        let f = buckets[Int(b)].frequency
        let n = buckets[Int(b)].next
        let nextFits = n >= 0 && buckets[Int(n)].frequency == f + 1
        if !nextFits && buckets[Int(b)].ends.head == slot && buckets[Int(b)].ends.tail == slot {
            buckets[Int(b)].frequency = f + 1  // alone in its bucket: renumber in place
            return
        }
        let target = nextFits ? n : newBucket(frequency: f + 1, after: b)
        leave(slot)
        links.pushFront(slot, &buckets[Int(target)].ends)
        bucketOf[s] = target
    }

    func victim(count: Int) -> Int32 { buckets[Int(lowest)].ends.tail }

    mutating func replace(_ slot: Int32) {
        leave(slot)
        enterAtFrequencyOne(slot)
    }

    mutating func remove(_ slot: Int32, last: Int32) {
        leave(slot)
        if slot != last {
            let b = bucketOf[Int(last)]
            links.move(last, to: slot, &buckets[Int(b)].ends)
            bucketOf[Int(slot)] = b
        }
        links.removeLast()
        bucketOf.removeLast()
    }

    mutating func removeAll() {
        links.removeAll()
        bucketOf.removeAll(keepingCapacity: true)
        buckets.removeAll(keepingCapacity: true)
        lowest = -1
        freeBucket = -1
    }

    /// The frequency of the key in `slot`. For tests.
    func frequency(ofSlot slot: Int32) -> Int { buckets[Int(bucketOf[Int(slot)])].frequency }

    // MARK: Buckets

    private mutating func enterAtFrequencyOne(_ slot: Int32) {
        var b = lowest
        if b < 0 || buckets[Int(b)].frequency != 1 { b = newBucket(frequency: 1, after: -1) }
        links.pushFront(slot, &buckets[Int(b)].ends)
        bucketOf[Int(slot)] = b
    }

    /// Unlinks `slot` from its bucket, releasing the bucket if that empties it.
    private mutating func leave(_ slot: Int32) {
        let b = bucketOf[Int(slot)]
        links.unlink(slot, &buckets[Int(b)].ends)
        if buckets[Int(b)].ends.isEmpty { releaseBucket(b) }
    }

    /// A new empty bucket after bucket `a` (−1: first).
    private mutating func newBucket(frequency: Int, after a: Int32) -> Int32 {
        let following = a >= 0 ? buckets[Int(a)].next : lowest
        let node = Bucket(frequency: frequency, prev: a, next: following, ends: CacheListEnds())
        let b: Int32
        if freeBucket >= 0 {
            b = freeBucket
            freeBucket = buckets[Int(b)].next
            buckets[Int(b)] = node
        } else {
            b = Int32(buckets.count)
            buckets.appendCapped(node, limit: capacity + 1)
        }
        if a >= 0 { buckets[Int(a)].next = b } else { lowest = b }
        if following >= 0 { buckets[Int(following)].prev = b }
        return b
    }

    private mutating func releaseBucket(_ b: Int32) {
        let node = buckets[Int(b)]
        if node.prev >= 0 { buckets[Int(node.prev)].next = node.next } else { lowest = node.next }
        if node.next >= 0 { buckets[Int(node.next)].prev = node.prev }
        buckets[Int(b)] = Bucket(frequency: 0, prev: -1, next: freeBucket, ends: CacheListEnds())
        freeBucket = b
    }

    // MARK: Checks

    var memoryBytes: Int {
        links.memoryBytes + bucketOf.capacity * MemoryLayout<Int32>.stride
            + buckets.capacity * MemoryLayout<Bucket>.stride
    }

    /// Live buckets from the lowest frequency up: (frequency, slots from most to least recent).
    /// O(count). For tests.
    var bucketsByFrequency: [(frequency: Int, slots: [Int32])] {
        var out: [(Int, [Int32])] = []
        var prev: Int32 = -1
        var b = lowest
        while b >= 0 {
            let node = buckets[Int(b)]
            precondition(node.prev == prev, "broken bucket back link at \(b)")
            out.append((node.frequency, links.walk(node.ends)))
            prev = b
            b = node.next
        }
        return out
    }

    func checkInvariants(count: Int) {
        precondition(links.count == count && bucketOf.count == count, "LFU arrays ≠ count \(count)")
        var seen = [Bool](repeating: false, count: count)
        var total = 0, live = 0, lastFrequency = 0
        var b = lowest
        while b >= 0 {
            let node = buckets[Int(b)]
            precondition(node.frequency > lastFrequency, "bucket frequencies not increasing")
            lastFrequency = node.frequency
            let slots = links.walk(node.ends)
            precondition(!slots.isEmpty, "empty live bucket \(b)")
            for s in slots {
                precondition(!seen[Int(s)], "slot \(s) in two buckets")
                seen[Int(s)] = true
                precondition(bucketOf[Int(s)] == b, "bucketOf[\(s)] ≠ \(b)")
            }
            total += slots.count
            live += 1
            b = node.next
        }
        precondition(total == count, "LFU buckets hold \(total) slots, count \(count)")
        var free = 0
        b = freeBucket
        while b >= 0 { free += 1; precondition(free <= buckets.count, "free bucket cycle"); b = buckets[Int(b)].next }
        precondition(live + free == buckets.count, "buckets leaked: \(live) live + \(free) free ≠ \(buckets.count)")
        precondition(buckets.count <= capacity + 1, "more buckets than capacity + 1")
    }
}
