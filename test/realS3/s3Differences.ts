/**
 * Every known difference between the sandbox and Ceph RGW 16.2 in the
 * differential script (s3Script.ts), with what AWS documents, why the
 * servers differ and what the engine does about it. differential.test.ts
 * fails on a difference missing here, on an entry no longer seen, and when
 * the sandbox leaves AWS's documented side; docs/s3-compatibility.md carries
 * the same table (checked by the same test).
 */

export interface KnownDifference {
  /** The script step (s3Script.ts) where the servers differ. */
  readonly id: string;
  /** What AWS documents, as the normalised observation the script would record. */
  readonly aws: string;
  readonly sandbox: string;
  readonly ceph: string;
  /** Why Ceph differs, as far as measured or documented. */
  readonly reason: string;
  /** What Stratus does about it. */
  readonly engine: string;
}

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    id: 'put-if-match-quoted',
    aws: '200', sandbox: '200', ceph: '412 PreconditionFailed',
    reason: 'RGW 16.2 refuses If-Match with the ETag in quotes (the form S3 returns and RFC 9110 prescribes) even when it matches; the bare ETag is accepted and a stale bare one still gets 412.',
    engine: 'The probe records `conditionalOverwrite: unquoted`; Stratus sends bare ETags. A 412 for an ETag a HEAD shows as current switches the spelling at run time and clears the record (re-probe next run).',
  },
  {
    id: 'put-if-match-missing-key',
    aws: '404 NoSuchKey', sandbox: '404 NoSuchKey', ceph: '412 PreconditionFailed',
    reason: 'RGW answers every failed write precondition with 412, also when there is no object; AWS answers 404 NoSuchKey.',
    engine: 'Nothing needed: both refuse the write; Stratus reports `remote-changed` instead of `remote-missing`, and the planner looks at the path again either way.',
  },
  {
    id: 'put-if-match-star-missing',
    aws: '404 NoSuchKey', sandbox: '404 NoSuchKey', ceph: '412 PreconditionFailed',
    reason: 'As above, for `If-Match: *`.',
    engine: 'Nothing needed (Stratus never sends `If-Match: *`).',
  },
  {
    id: 'copy-etag',
    aws: '200 etag="md5"', sandbox: '200 etag="md5"', ceph: '200 etag=md5',
    reason: 'RGW writes the ETag in the CopyObjectResult body without quotes.',
    engine: 'Nothing needed: every ETag is unquoted before it is compared or stored.',
  },
  {
    id: 'copy-if-none-match-existing',
    aws: '412 PreconditionFailed destination=kept', sandbox: '412 PreconditionFailed destination=kept', ceph: '200 destination=overwritten',
    reason: 'RGW 16.2 predates conditional CopyObject and ignores If-None-Match (and If-Match) on the destination.',
    engine: 'The probe records `conditionalCopy: ignored`; before a rename Stratus checks with a HEAD that the destination is free (a file created there in the moment between can be overwritten).',
  },
  {
    id: 'copy-source-if-match-stale',
    aws: '412 PreconditionFailed copied=false', sandbox: '412 PreconditionFailed copied=false', ceph: '200 copied=true',
    reason: 'RGW 16.2 did not honour x-amz-copy-source-if-match: a stale source ETag was copied anyway.',
    engine: 'With `conditionalCopy: ignored` Stratus compares the source ETag with a HEAD right before the copy.',
  },
  {
    id: 'delete-if-match-stale',
    aws: '412 PreconditionFailed object=kept', sandbox: '412 PreconditionFailed object=kept', ceph: '204 object=deleted',
    reason: 'RGW 16.2 predates conditional deletes (AWS general-purpose buckets, 2025) and ignores If-Match on DeleteObject, quoted or bare: the newer object is deleted.',
    engine: 'The probe records `conditionalDelete: ignored`; Stratus compares with a HEAD right before each delete (a write landing in the moment between is deleted unseen; a versioned bucket keeps it).',
  },
  {
    id: 'multipart-complete-etag',
    aws: '200 etag="md5-2"', sandbox: '200 etag="md5-2"', ceph: '200 etag=empty',
    reason: 'RGW 16.2 answers CompleteMultipartUpload with an empty <ETag>; a HEAD afterwards shows the AWS-form "<md5 of part md5s>-2".',
    engine: 'The probe records `multipartEtag: missing`; after a multipart upload whose answer has no ETag, Stratus asks with a HEAD.',
  },
  {
    id: 'multipart-complete-if-none-match-existing',
    aws: '412 PreconditionFailed object=kept', sandbox: '412 PreconditionFailed object=kept', ceph: '200 object=overwritten',
    reason: 'RGW 16.2 predates conditional CompleteMultipartUpload and ignores If-None-Match on it.',
    engine: 'The probe records `conditionalComplete: ignored`; Stratus checks with a HEAD before the upload and again right before CompleteMultipartUpload.',
  },
  {
    id: 'multipart-complete-if-match-stale',
    aws: '412 PreconditionFailed object=kept', sandbox: '412 PreconditionFailed object=kept', ceph: '200 object=overwritten',
    reason: 'As above, for If-Match.',
    engine: 'As above: HEAD-compare right before CompleteMultipartUpload.',
  },
  {
    id: 'list-url-encoding',
    aws: '200 encodingType=url key="sp+ace%2B%25%01.txt"', sandbox: '200 encodingType=url key="sp+ace%2B%25%01.txt"', ceph: '200 encodingType=url key="sp%20ace%2B%25%01.txt"',
    reason: 'With encoding-type=url AWS encodes a space as "+" (form encoding, which is why SDKs decode with unquote_plus); RGW encodes it as %20. Both decode to the same key.',
    engine: 'Nothing needed: listed keys are decoded with "+" → space, then percent-decoding, which reads both forms.',
  },
];
