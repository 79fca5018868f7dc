import CatalogStore
import Foundation
import Testing

/// The signer against the signatures AWS publishes for its own examples: the SigV4 test suite's requests (service
/// "service") and the S3 documentation's GET, PUT, list and presigned-URL examples. A wrong byte anywhere in the
/// canonical request, the scope or the key derivation changes the signature.
@Suite("AWS Signature Version 4 matches AWS's published examples")
struct SigV4SignerTests {
    static let suite = SigV4Signer(
        credentials: .init(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), region: "us-east-1", service: "service"
    )
    static let s3 = SigV4Signer(
        credentials: .init(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), region: "us-east-1"
    )
    /// 2015-08-30T12:36:00Z (the test suite's date) and 2013-05-24T00:00:00Z (the S3 examples').
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)
    static let s3Date = Date(timeIntervalSince1970: 1_369_353_600)

    @Test func getVanilla() {
        let signed = Self.suite.sign(method: "GET", path: "/", headers: [("Host", "example.amazonaws.com")], payloadHash: SigV4Signer.emptyPayloadHash, date: Self.suiteDate)
        #expect(signed.signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(signed.headers.first?.value == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func queryParametersAreSortedBeforeSigning() {
        let signed = Self.suite.sign(
            method: "GET", path: "/", query: [("Param2", "value2"), ("Param1", "value1")], headers: [("Host", "example.amazonaws.com")],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.suiteDate
        )
        #expect(signed.signature == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    }

    @Test func s3GetObjectWithRange() {
        let signed = Self.s3.sign(
            method: "GET", path: "/test.txt",
            headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"), ("x-amz-content-sha256", SigV4Signer.emptyPayloadHash)],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.s3Date
        )
        #expect(signed.stringToSign.hasSuffix("7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"))
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func s3PutObjectEncodesTheKey() {
        let bodyHash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"  // SHA-256 of "Welcome to Amazon S3."
        let signed = Self.s3.sign(
            method: "PUT", path: "/test$file.text",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("x-amz-content-sha256", bodyHash), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ],
            payloadHash: bodyHash, date: Self.s3Date
        )
        #expect(signed.canonicalRequest.hasPrefix("PUT\n/test%24file.text\n"))
        #expect(signed.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func s3ListWithQuery() {
        let signed = Self.s3.sign(
            method: "GET", path: "/", query: [("max-keys", "2"), ("prefix", "J")],
            headers: [("Host", "examplebucket.s3.amazonaws.com"), ("x-amz-content-sha256", SigV4Signer.emptyPayloadHash)],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.s3Date
        )
        #expect(signed.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test func s3PresignedGet() {
        let query = Self.s3.presignedQuery(method: "GET", path: "/test.txt", host: "examplebucket.s3.amazonaws.com", expires: 86_400, date: Self.s3Date)
        #expect(query == "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    @Test(arguments: [
        ("a b", false, "a%20b"), ("a+b", false, "a%2Bb"), ("100%", false, "100%25"), ("ключ", false, "%D0%BA%D0%BB%D1%8E%D1%87"),
        ("a/b", false, "a/b"), ("a/b", true, "a%2Fb"), ("A-z_0.9~", true, "A-z_0.9~"), ("=&?#", true, "%3D%26%3F%23"),
    ])
    func encoding(text: String, slash: Bool, expected: String) {
        #expect(SigV4Signer.encode(text, slash: slash) == expected)
    }
}
