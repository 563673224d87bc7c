import SafeguardsCore

/// One gossip exchange between an asker and an answerer, step by step, as pure functions of the
/// two instances. The shell (and the simulator) carries each step's body to the other side.
///
/// 1. The asker opens with its view (``opening()``), about 70 bytes whatever the federation's size.
/// 2. The answerer compares it with its own (``answer(_:from:trust:)``). The same view: it answers
///    with its view alone, and the exchange ends. Nothing changed, nothing more is sent: an idle
///    round costs two small messages per peer. Another view (or a hash that matches nothing):
///    it answers with its full digest, the fall back to a full exchange.
/// 3. From that digest the asker sends the records the answerer lacks, and in `wanted` its own
///    versions of the origins the answerer holds newer (``followUp(after:to:trust:)``).
/// 4. The answerer sends those records (``answer(wanted:from:trust:)``).
///
/// Scuttlebutt proper sends full digests both ways in every exchange; this deviation trades one
/// more message when views differ for digests that no longer grow with the federation when they
/// agree. Every record still carries its origin's signature and is merged only if newer, so a
/// peer that lies in its view or its digest can at worst withhold records from itself: a
/// claimed version higher than the truth makes us send it nothing for that origin and ask it
/// for a record it does not have; a lower one gets it records it already holds.
///
/// Compatibility: a node of an older version opens with a full digest; ``answer(_:from:trust:)``
/// answers it as those nodes expect (the records it lacks and our full digest). Such a node
/// refuses a view-only opening as malformed; the shell then opens with ``fullOpening()``.
extension GossipInstance {
    /// Step 1: the asker's view.
    public func opening() -> GossipDigestBody {
        GossipDigestBody(view: view())
    }

    /// Step 1 for a peer that understands only full digests (a node of an older version).
    public func fullOpening() -> GossipDigestBody {
        GossipDigestBody(digest())
    }

    /// Step 2: the answer to `opening` from `peer`. A full digest gets the records `peer` lacks,
    /// and our view and digest; a view like ours gets our view alone; any other view gets our
    /// view and full digest.
    public func answer(_ opening: GossipDigestBody, from peer: SystemID, trust: [SystemID: TrustLevel])
        -> GossipDeltaBody
    {
        let ours = view()
        if let theirs = opening.origins {
            return GossipDeltaBody(records: delta(for: theirs, to: peer, trust: trust), digest: digest(), view: ours)
        }
        if opening.view == ours { return GossipDeltaBody(records: [], digest: nil, view: ours) }
        return GossipDeltaBody(records: [], digest: digest(), view: ours)
    }

    /// Step 3: what the asker sends after `answer` (whose records it has merged already): the
    /// records `peer` lacks and, in `wanted`, our versions of the origins `peer` holds newer.
    /// `nil` when there is nothing to send: the answer carried no digest (the views agreed), or
    /// the digests agree.
    public func followUp(after answer: GossipDeltaBody, to peer: SystemID, trust: [SystemID: TrustLevel])
        -> GossipDeltaBody?
    {
        guard let theirs = answer.origins else { return nil }
        let records = delta(for: theirs, to: peer, trust: trust)
        let wanted = self.wanted(given: theirs)
        guard !records.isEmpty || !wanted.isEmpty else { return nil }
        return GossipDeltaBody(records: records, digest: nil, wanted: wanted.isEmpty ? nil : wanted)
    }

    /// Step 4: the records of the origins in `followUp`'s `wanted` list newer than the versions it
    /// names (none when it names none).
    public func answer(wanted followUp: GossipDeltaBody, from peer: SystemID, trust: [SystemID: TrustLevel])
        -> GossipDeltaBody
    {
        guard let wanted = followUp.wantedOrigins, !wanted.isEmpty else { return GossipDeltaBody(records: [], digest: nil) }
        return GossipDeltaBody(records: delta(for: wanted, to: peer, trust: trust, onlyListed: true), digest: nil)
    }

    /// Our versions of the origins that `theirs` holds newer than we do (or that we lack, at
    /// version 0.0), except our own: what we ask a peer for.
    public func wanted(given theirs: [SystemID: RecordVersion]) -> [SystemID: RecordVersion] {
        let ours = digest()
        var wanted: [SystemID: RecordVersion] = [:]
        for (origin, version) in theirs where origin != me {
            let held = ours[origin] ?? RecordVersion(generation: 0, version: 0)
            if version > held { wanted[origin] = held }
        }
        return wanted
    }

    /// The version of our record that `peer` holds, as far as its opening or answer tells: from a
    /// full digest, its entry for us; from a view like ours, our current version.
    public func versionOfMe(seenIn digest: [SystemID: RecordVersion]?, view: GossipView?) -> RecordVersion? {
        if let digest { return digest[me] }
        return view == self.view() ? local.recordVersion : nil
    }
}
