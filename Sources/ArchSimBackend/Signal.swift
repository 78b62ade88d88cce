// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// A wake-up flag for one waiting task: `notify()` from anywhere; `wait()` returns at once if
/// notified since the last wait, else when notified or cancelled. Notifications coalesce.
final class WakeSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?

    func notify() {
        lock.lock()
        if let w = waiter { waiter = nil; lock.unlock(); w.resume(); return }
        pending = true
        lock.unlock()
    }

    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                lock.lock()
                if pending || Task.isCancelled { pending = false; lock.unlock(); c.resume(); return }
                waiter = c
                lock.unlock()
            }
        } onCancel: {
            notify()
        }
    }
}
