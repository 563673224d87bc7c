import Foundation
import SafeguardsTestKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@testable import SafeguardsNode

@Suite("Owner-only files")
struct PrivateFileTests {
    @Test func theInodeIsCreatedOwnerOnlyWhateverTheUmask() throws {
        let path = try makeTemporaryDirectory() + "/secret"
        let previous = umask(0o022)
        defer { umask(previous) }
        let descriptor = try PrivateFile.create(path)
        defer { close(descriptor) }
        // The mode of the inode as open(2) made it: nothing else has touched it yet.
        #expect(permissions(path) == 0o600)
        // An existing file is never taken over (nor a link followed to one).
        #expect(throws: NodeStartupError.self) { _ = try PrivateFile.create(path) }
    }

    @Test func writeReplacesTheWholeFileAndLeavesNothingBehind() throws {
        let directory = try makeTemporaryDirectory()
        let path = directory + "/api-token"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("old\n".utf8)))
        #expect(chmod(path, 0o644) == 0)
        try PrivateFile.write("new-token\n", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new-token\n")
        #expect(permissions(path) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["api-token"])
    }

    @Test func restrictNarrowsAndIgnoresWhatIsMissing() throws {
        let directory = try makeTemporaryDirectory()
        #expect(chmod(directory, 0o777) == 0)
        try PrivateFile.restrict(directory, to: PrivateFile.folderMode, followingLinks: true)
        #expect(permissions(directory) == 0o700)
        try PrivateFile.restrict(directory + "/missing", to: PrivateFile.fileMode)
        let link = directory + "/link"
        #expect(symlink(directory + "/elsewhere", link) == 0)
        #expect(FileManager.default.createFile(atPath: directory + "/elsewhere", contents: nil))
        // A link inside the folder is not followed to change what it points at.
        #expect(throws: NodeStartupError.self) { try PrivateFile.restrict(link, to: PrivateFile.fileMode) }
    }
}
