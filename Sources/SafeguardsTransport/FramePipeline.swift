import NIOCore

/// Serves the frames of one connection concurrently and answers them in the order they arrived.
///
/// Rules:
/// - At most ``limit`` frames of one connection are in flight: read, and their answer not yet
///   written. At the limit the connection is not read further until the oldest answer is written,
///   so a peer that sends faster than it reads its answers is held back by TCP, not by this
///   node's memory.
/// - Answers leave in arrival order, whatever order their handlers finish in: the dialer matches
///   answers to requests by order (``ResponseMatcher``), so a quick answer waits behind a slow one
///   that came first.
/// - `.replyAndClose` and `.close` end the connection once every earlier answer is written; the
///   frames after it get no answer (their handlers still run to the end, unobserved).
/// - `.none` writes nothing for its frame.
/// - A read that fails (a frame past the size limit, garbage) stops reading; the answers of the
///   frames before it are still written, then the error ends the connection.
struct FramePipeline: Sendable {
    /// The most frames of one connection in flight at once (at least 1).
    let limit: Int

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Reads `inbound` until it ends, hands each frame to `respond` as it arrives, and writes the
    /// answers to `outbound` in arrival order. Throws the read error that ended the connection,
    /// if any, or a write error.
    func serve(
        _ channel: any Channel, inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, respond: @escaping @Sendable ([UInt8]) async -> FrameReply
    ) async throws {
        // Answers to come, in arrival order; and one signal per answer written, which frees a slot.
        let (answers, answerQueue) = AsyncStream.makeStream(of: Task<FrameReply, Never>.self)
        let (written, writtenSignal) = AsyncStream.makeStream(of: Void.self)
        let limit = limit
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { answerQueue.finish() }
                var inFlight = 0
                var freed = written.makeAsyncIterator()
                for try await frame in inbound {
                    if inFlight == limit {
                        guard await freed.next() != nil else { return }
                        inFlight -= 1
                    }
                    inFlight += 1
                    let payload = Array(buffer: frame)
                    answerQueue.yield(Task { await respond(payload) })
                }
            }
            group.addTask {
                defer { writtenSignal.finish() }
                do {
                    for await answer in answers {
                        switch await answer.value {
                        case .reply(let bytes):
                            try await outbound.write(ByteBuffer(bytes: bytes))
                        case .replyAndClose(let bytes):
                            try await outbound.write(ByteBuffer(bytes: bytes))
                            channel.close(promise: nil)
                            return
                        case .close:
                            channel.close(promise: nil)
                            return
                        case .none:
                            break
                        }
                        writtenSignal.yield()
                    }
                } catch {
                    // Nothing more can be answered: stop the reader too.
                    channel.close(promise: nil)
                    throw error
                }
            }
            // The reader's error ends the connection only after the writer drained what came before it.
            var failure: (any Error)?
            while let next = await group.nextResult() {
                if case .failure(let error) = next, failure == nil { failure = error }
            }
            if let failure { throw failure }
        }
    }
}
