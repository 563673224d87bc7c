import Foundation
import NIOCore
import SafeguardsCore
import SafeguardsFederation
import SafeguardsTransport
import Testing

@Suite("Mutual TLS channel", .timeLimit(.minutes(5)))
struct MutualTLSTests {
    @Test func twoNodesWithValidCertificatesExchangeFrames() async throws {
        try await withListener { port, responder in
            let dialer = try makeDialer(try TestCertificates.identity("system_a"))
            let answer = try await dialer.request(Array("hello".utf8), to: SystemID.systemB, host: "127.0.0.1", port: port)
            #expect(String(decoding: answer, as: UTF8.self) == "system_a:hello")
            // The connection is reused for the next request.
            #expect(await dialer.isConnected(to: SystemID.systemB))
            let second = try await dialer.request(Array("again".utf8), to: SystemID.systemB, host: "127.0.0.1", port: port)
            #expect(String(decoding: second, as: UTF8.self) == "system_a:again")
            #expect(await responder.frames.map(\.peer) == [SystemID.systemA, SystemID.systemA])
            await dialer.shutdown()
        }
    }

    @Test func aCertificateNamingAnotherSystemIsRefusedByTheDialer() async throws {
        try await withListener { port, responder in
            let dialer = try makeDialer(try TestCertificates.identity("system_a"))
            // The listener is system_b; asking for system_c there must fail.
            await #expect(throws: TransportError.identityMismatch(expected: SystemID.systemC, actual: "system_b")) {
                _ = try await dialer.request(Array("x".utf8), to: SystemID.systemC, host: "127.0.0.1", port: port)
            }
            #expect(await responder.frames.isEmpty)
            await dialer.shutdown()
        }
    }

    @Test func aClientWithoutACertificateIsRefused() async throws {
        try await withListener { port, responder in
            let channel = try await rawConnection(port: port, tls: true, identity: nil)
            var frame = ByteBuffer()
            frame.writeInteger(UInt32(5))
            frame.writeString("hello")
            try? await channel.writeAndFlush(frame)
            try await channel.closeFuture.get()
            await responder.waitForFailures(1)
            #expect(await responder.frames.isEmpty)
            #expect(await responder.failureCount == 1)
            #expect(await responder.failedPeers == [nil])
        }
    }

    @Test func aCertificateFromAnotherCAIsRefusedBothWays() async throws {
        try await withListener { port, responder in
            let stranger = try makeDialer(try TestCertificates.foreignIdentity("system_a"))
            await #expect(throws: TransportError.self) {
                _ = try await stranger.request(Array("x".utf8), to: SystemID.systemB, host: "127.0.0.1", port: port)
            }
            #expect(await responder.frames.isEmpty)
            await stranger.shutdown()
        }
        // A genuine client does not accept a server whose certificate comes from another CA.
        try await withListener(identity: try TestCertificates.foreignIdentity("system_b")) { port, responder in
            let dialer = try makeDialer(try TestCertificates.identity("system_a"))
            await #expect(throws: TransportError.self) {
                _ = try await dialer.request(Array("x".utf8), to: SystemID.systemB, host: "127.0.0.1", port: port)
            }
            #expect(await responder.frames.isEmpty)
            await dialer.shutdown()
        }
    }

    @Test func theListenerTellsTheResponderWhoIsOnTheChannel() async throws {
        try await withListener { port, responder in
            let dialer = try makeDialer(try TestCertificates.identity("system_c"))
            _ = try await dialer.request(Array("who".utf8), to: SystemID.systemB, host: "127.0.0.1", port: port)
            #expect(await responder.frames.first?.peer == (SystemID.systemC))
            await dialer.shutdown()
        }
    }

    @Test func aReplyAndCloseEndsTheConnectionAndTheDialerReconnects() async throws {
        try await withListener { port, _ in
            let dialer = try makeDialer(try TestCertificates.identity("system_a"))
            let peer = SystemID.systemB
            #expect(try await dialer.request(Array("close".utf8), to: peer, host: "127.0.0.1", port: port) == Array("bye".utf8))
            var connected = true
            for _ in 0..<200 where connected {
                connected = await dialer.isConnected(to: peer)
                if connected { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(!connected)
            let answer = try await dialer.request(Array("back".utf8), to: peer, host: "127.0.0.1", port: port)
            #expect(String(decoding: answer, as: UTF8.self) == "system_a:back")
            await dialer.shutdown()
        }
    }
}

@Suite("Hostile bytes on the channel", .timeLimit(.minutes(5)))
struct HostileChannelTests {
    @Test func anOversizeLengthPrefixClosesTheConnectionWithoutAllocating() async throws {
        try await withListener(maximumFrameLength: 1024) { port, responder in
            let channel = try await rawConnection(port: port, tls: true, identity: try TestCertificates.identity("system_a"))
            var frame = ByteBuffer()
            frame.writeInteger(UInt32.max)
            frame.writeString("not four gigabytes")
            try await channel.writeAndFlush(frame)
            try await channel.closeFuture.get()
            await responder.waitForFailures(1)
            #expect(await responder.frames.isEmpty)
            #expect(await responder.failedPeers == [SystemID.systemA])
            // The node still serves others.
            let dialer = try makeDialer(try TestCertificates.identity("system_c"))
            let answer = try await dialer.request(Array("ok".utf8), to: SystemID.systemB, host: "127.0.0.1", port: port)
            #expect(String(decoding: answer, as: UTF8.self) == "system_c:ok")
            await dialer.shutdown()
        }
    }

    @Test func garbageInsteadOfTLSIsRefused() async throws {
        try await withListener { port, responder in
            let channel = try await rawConnection(port: port, tls: false, identity: nil)
            var garbage = ByteBuffer()
            var random = SystemRandomNumberGenerator()
            for _ in 0..<512 { garbage.writeInteger(UInt8.random(in: 0...255, using: &random)) }
            try? await channel.writeAndFlush(garbage)
            try await channel.closeFuture.get()
            await responder.waitForFailures(1)
            #expect(await responder.frames.isEmpty)
            #expect(await responder.failureCount == 1)
            let dialer = try makeDialer(try TestCertificates.identity("system_a"))
            _ = try await dialer.request(Array("still".utf8), to: SystemID.systemB, host: "127.0.0.1", port: port)
            await dialer.shutdown()
        }
    }

    @Test func idleAndHalfOpenConnectionsAreClosed() async throws {
        try await withListener(idleTimeout: .milliseconds(200)) { port, _ in
            // Half-open: TCP connected, no TLS handshake ever sent.
            let silent = try await rawConnection(port: port, tls: false, identity: nil)
            // Idle: authenticated, then nothing.
            let idle = try await rawConnection(port: port, tls: true, identity: try TestCertificates.identity("system_a"))
            try await silent.closeFuture.get()
            try await idle.closeFuture.get()
            #expect(!silent.isActive)
            #expect(!idle.isActive)
        }
    }

    @Test func backoffGrowsAndIsCapped() {
        #expect(PeerDialer.backoffDelay(afterFailures: 0) == .zero)
        #expect(PeerDialer.backoffDelay(afterFailures: 1) == .milliseconds(100))
        #expect(PeerDialer.backoffDelay(afterFailures: 2) == .milliseconds(200))
        #expect(PeerDialer.backoffDelay(afterFailures: 5) == .milliseconds(1600))
        #expect(PeerDialer.backoffDelay(afterFailures: 50) == .seconds(30))
    }
}
