// Names inside NATS subjects: a service name with a '.' stays one token; an id that would break a subject (or a
// permission written against it) is refused, coded, before anything is sent.

import { expect, test } from '@jest/globals'
import { bucketName } from '../../src/cluster/nats-buckets.js'
import { callSubject } from '../../src/cluster/nats-calls.js'

test("a service name's '.' travels as '~'; the calling host is the last token", () => {
  expect(callSubject('prod', 'store.v2', 'host-a')).toBe('svc.prod.call.store~v2.host-a')
})

test.each(['a.b', 'a*', '>', 'with space', ''])('the id %j is refused for a host, a cluster and a bucket', (bad) => {
  const coded = expect.objectContaining({ code: 'SVC_ERR_MANIFEST_INVALID' })
  expect(() => callSubject('prod', 'store', bad)).toThrow(coded)
  expect(() => callSubject(bad, 'store', 'a')).toThrow(coded)
  expect(() => bucketName(bad, 'hosts')).toThrow(coded)
})
