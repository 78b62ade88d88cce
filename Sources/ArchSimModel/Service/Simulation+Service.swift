// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// Services: admission through the load balancer, workers and queues, the operation
/// interpreter, calls with timeouts, retries and circuit breakers, processor sharing.
extension Simulation {
    /// A task reaches its service: the balancer picks an instance, which runs it, queues it or
    /// rejects it. An instance that crashed but is still in the balancer fails it at once.
    func admit(_ t: Int32) {
        let ti = Int(t)
        let s = Int(tasks[ti].service)
        let first = firstInstance[s]
        let key = requests[Int(tasks[ti].request)].optionalKey
        let count = balancers[s].count
        let picked = instances.withUnsafeBufferPointer {
            balancers[s].pick(key: key, instances: UnsafeBufferPointer(rebasing: $0[first ..< first + count]))
        }
        guard let pick = picked, !instances[first + pick].down else { return fail(t, .failed) }
        let inst = first + pick
        tasks[ti].instance = Int32(inst)
        if instances[inst].busy < instances[inst].workers {
            instances[inst].open += 1
            instances[inst].busy += 1
            recorder.workerTaken(service: s, at: events.now)
            recorder.waited(service: s, 0, at: events.now)
            tasks[ti].holdsWorker = true
            run(t)
        } else if instances[inst].queue.count < instances[inst].queueCapacity {
            instances[inst].open += 1
            enqueue(t, at: inst)
        } else {
            recorder.rejected(service: s, at: events.now)
            tasks[ti].instance = -1
            fail(t, .rejected)
        }
    }

    func enqueue(_ t: Int32, at inst: Int) {
        tasks[Int(t)].queuedAt = events.now
        tasks[Int(t)].queued = true
        instances[inst].queue.append(t)
        recorder.queued(service: Int(instances[inst].service), delta: 1, at: events.now)
    }

    /// The task could not be served: answer its caller with an error.
    func fail(_ t: Int32, _ failure: Failure) {
        tasks[Int(t)].failure = failure
        reply(t)
    }

    /// Sends a finished (or failed) task's answer back to whoever waits for it.
    func reply(_ t: Int32) {
        let ti = Int(t)
        switch tasks[ti].parent {
        case Task.client:
            let r = tasks[ti].request, failure = tasks[ti].failure
            freeTask(t)
            finishRequest(r, failure: failure)
        case Task.detached:
            freeTask(t)
        default:
            if let hop { events.schedule(after: hop.sample(), EventKind.answered.payload(ti)) } else { answered(t) }
        }
    }

    /// A called operation's answer reaches its caller (unless the caller gave up on it).
    func answered(_ t: Int32) {
        let ti = Int(t)
        let parent = tasks[ti].parent
        let failure = tasks[ti].failure
        freeTask(t)
        guard parent >= 0 else { return }                     // detached meanwhile
        let p = Int(parent)
        if tasks[p].killed { freeTask(parent); return }
        tasks[p].child = -1
        callEnded(parent, failure: failure)
    }

    // MARK: Calls

    /// Makes (or remakes) the call of the call step the task is at. The circuit breaker may
    /// fail it at once.
    func issueCall(_ t: Int32) {
        let ti = Int(t)
        let instruction = program.code[Int(tasks[ti].pc) - 1]
        let rule = program.callRules[Int(instruction.c)]
        if rule.breaker >= 0 && !breakers[Int(rule.breaker)].allows(at: events.now) {
            return callEnded(t, failure: .failed, breakerRecords: false)
        }
        let service = Int(instruction.a)
        let child = allocateTask(Task(request: tasks[ti].request, parent: t, service: instruction.a,
                                      pc: program.entry[service][Int(instruction.b)], isBranch: false))
        tasks[Int(child)].endPC = program.endOf[Int(tasks[Int(child)].pc)]
        tasks[ti].child = child
        tasks[ti].generation &+= 1
        if rule.timeout > 0 {
            events.schedule(after: rule.timeout, EventKind.callTimeout.payload(ti, generation: tasks[ti].generation))
        }
        if let hop { events.schedule(after: hop.sample(), EventKind.deliver.payload(Int(child))) } else { admit(child) }
    }

    /// A call's timeout: if still waiting for that call, the caller gives up on it (the callee's
    /// work goes on, detached) and treats it as failed.
    func callTimedOut(_ t: Int32, generation: UInt32) {
        let ti = Int(t)
        guard tasks[ti].alive, !tasks[ti].killed, tasks[ti].generation & 0xFF_FFFF == generation,
              tasks[ti].child >= 0 else { return }
        tasks[Int(tasks[ti].child)].parent = Task.detached
        tasks[ti].child = -1
        callEnded(t, failure: .timeout)
    }

    /// The call step's attempt ended: tell the breaker, retry after a backoff if allowed, or go on.
    func callEnded(_ t: Int32, failure: Failure, breakerRecords: Bool = true) {
        let ti = Int(t)
        let instruction = program.code[Int(tasks[ti].pc) - 1]
        let rule = program.callRules[Int(instruction.c)]
        if breakerRecords && rule.breaker >= 0 {
            let b = Int(rule.breaker)
            let wasOpen = breakers[b].state != .closed
            breakers[b].record(success: failure == .ok, at: events.now)
            let isOpen = breakers[b].state != .closed
            if wasOpen != isOpen { recorder.roll(events.now); recorder.breakersOpen += isOpen ? 1 : -1 }
        }
        if failure != .ok && tasks[ti].attempt < rule.retries {
            tasks[ti].attempt += 1
            recorder.retried(at: events.now)
            events.schedule(after: rule.backoff?.sample() ?? 0, EventKind.retry.payload(ti))
            return
        }
        tasks[ti].attempt = 0
        if failure != .ok && tasks[ti].failure == .ok { tasks[ti].failure = failure }
        resume(t)
    }

    func retry(_ t: Int32) {
        if tasks[Int(t)].killed { return freeTask(t) }
        issueCall(t)
    }

    // MARK: Workers

    /// Gives a worker back to instance `inst`: the longest-waiting task takes it.
    func releaseWorker(_ inst: Int) {
        let s = Int(instances[inst].service)
        if let next = instances[inst].queue.popFirst() {
            recorder.queued(service: s, delta: -1, at: events.now)
            recorder.waited(service: s, events.now - tasks[Int(next)].queuedAt, at: events.now)
            tasks[Int(next)].queued = false
            tasks[Int(next)].holdsWorker = true
            run(next)
        } else {
            instances[inst].busy -= 1
            recorder.workerReleased(service: s, at: events.now)
        }
    }

    /// A task's wait is over (compute, delay, call, cache, database or join): go on with its next
    /// instruction. An `io: async` task that gave its worker back needs one again to compute.
    func resume(_ t: Int32) {
        let ti = Int(t)
        if tasks[ti].killed { return freeTask(t) }
        if tasks[ti].failure != .ok { tasks[ti].pc = tasks[ti].endPC }
        if !tasks[ti].holdsWorker && !tasks[ti].isBranch && program.code[Int(tasks[ti].pc)].op == .cpu {
            let inst = Int(tasks[ti].instance)
            if instances[inst].busy < instances[inst].workers {
                instances[inst].busy += 1
                recorder.workerTaken(service: Int(instances[inst].service), at: events.now)
                tasks[ti].holdsWorker = true
            } else {
                // Already admitted: it waits for a worker whatever the queue's bound.
                return enqueue(t, at: inst)
            }
        }
        run(t)
    }

    /// An `io: async` task gives its worker back while it waits downstream.
    @inline(__always) func waitDownstream(_ ti: Int) {
        if tasks[ti].holdsWorker && !tasks[ti].isBranch && asyncService[Int(tasks[ti].service)] {
            tasks[ti].holdsWorker = false
            releaseWorker(Int(tasks[ti].instance))
        }
    }

    /// Time for one message between components: a network hop (0 without one).
    @inline(__always) func hopTime() -> Int64 { hop?.sample() ?? 0 }

    // MARK: The interpreter

    /// Runs task `t` from its program counter until it has to wait.
    func run(_ t: Int32) {
        let ti = Int(t)
        let instruction = program.code[Int(tasks[ti].pc)]
        tasks[ti].pc += 1
        switch instruction.op {
        case .cpu:
            let inst = Int(tasks[ti].instance)
            var work = program.samplers[Int(instruction.a)].sample()
            if instances[inst].slowFactor != 1 { work = Int64((Double(work) * instances[inst].slowFactor).rounded()) }
            if instances[inst].cores > 0 {
                shareAdd(t, work: work, instance: inst)
            } else {
                events.schedule(after: work, EventKind.resume.payload(ti))
            }
        case .delay:
            let wait = program.samplers[Int(instruction.a)].sample()
            waitDownstream(ti)
            events.schedule(after: wait, EventKind.resume.payload(ti))
        case .call:
            waitDownstream(ti)
            tasks[ti].attempt = 0
            issueCall(t)
        case .fork:
            let count = Int(instruction.b)
            tasks[ti].pending = Int32(count)
            waitDownstream(ti)
            for b in 0..<count {
                let pc = program.forkTargets[Int(instruction.a) + b]
                let branch = allocateTask(Task(request: tasks[ti].request, parent: t, service: tasks[ti].service,
                                               pc: pc, isBranch: true))
                tasks[Int(branch)].instance = tasks[ti].instance
                tasks[Int(branch)].endPC = program.endOf[Int(pc)]
                run(branch)
            }
        case .branchEnd:
            let parent = tasks[ti].parent
            let failure = tasks[ti].failure
            freeTask(t)
            guard parent >= 0 else { return }
            let p = Int(parent)
            if failure != .ok && tasks[p].failure == .ok { tasks[p].failure = failure }
            tasks[p].pending -= 1
            if tasks[p].pending == 0 { resume(parent) }
        case .cacheGet, .cacheSet, .cacheDelete:
            waitDownstream(ti)
            cacheOperation(t, instruction)
        case .dbRead, .dbWrite:
            waitDownstream(ti)
            tasks[ti].database = instruction.a
            if let hop { events.schedule(after: hop.sample(), EventKind.dbArrive.payload(ti)) } else { databaseArrive(t) }
        case .end:
            let inst = Int(tasks[ti].instance)
            if tasks[ti].holdsWorker {
                tasks[ti].holdsWorker = false
                releaseWorker(inst)
            }
            instances[inst].open -= 1
            recorder.served(service: Int(tasks[ti].service), at: events.now)
            reply(t)
        }
    }

    // MARK: Processor sharing

    func shareAdd(_ t: Int32, work: Int64, instance inst: Int) {
        instances[inst].advanceVirtualTime(to: events.now)
        tasks[Int(t)].shareFinish = instances[inst].virtualTime + Double(work)
        tasks[Int(t)].sharing = true
        instances[inst].computing.append(t)
        shareReschedule(inst)
    }

    func shareReschedule(_ inst: Int) {
        instances[inst].completionGeneration &+= 1
        guard !instances[inst].computing.isEmpty else { return }
        var soonest = Double.infinity
        for t in instances[inst].computing { soonest = min(soonest, tasks[Int(t)].shareFinish) }
        let wait = max(0, (soonest - instances[inst].virtualTime) / instances[inst].shareRate)
        events.schedule(after: Int64(wait.rounded(.up)),
                        EventKind.shareDone.payload(inst, generation: instances[inst].completionGeneration))
    }

    func shareDone(_ inst: Int, generation: UInt32) {
        guard instances[inst].completionGeneration & 0xFF_FFFF == generation else { return }
        instances[inst].advanceVirtualTime(to: events.now)
        let v = instances[inst].virtualTime
        scratch.removeAll(keepingCapacity: true)
        // Keep the order of `computing` (deterministic) for those that stay and those done.
        var kept = 0
        for k in 0..<instances[inst].computing.count {
            let t = instances[inst].computing[k]
            if tasks[Int(t)].shareFinish <= v + 0.5 { scratch.append(t) } else { instances[inst].computing[kept] = t; kept += 1 }
        }
        instances[inst].computing.removeLast(instances[inst].computing.count - kept)
        shareReschedule(inst)
        let done = scratch
        for t in done { tasks[Int(t)].sharing = false; resume(t) }
    }
}
