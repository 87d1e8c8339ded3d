// The VAPID key as the browser's applicationServerKey: URL-safe base64 to bytes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { base64UrlBytes, sameKey } from "../../../crates/web/assets/js/push.js";

test("URL-safe base64 is decoded with or without padding", () => {
  // 0xfb 0xff 0xbf: "+/+/" in plain base64, "-_-_" URL-safe.
  assert.deepEqual([...base64UrlBytes("-_-_")], [0xfb, 0xff, 0xbf]);
  assert.deepEqual([...base64UrlBytes("AQID")], [1, 2, 3]);
  assert.deepEqual([...base64UrlBytes("AQIDBA")], [1, 2, 3, 4]);
  assert.deepEqual([...base64UrlBytes("AQIDBA==")], [1, 2, 3, 4]);
  assert.deepEqual([...base64UrlBytes("AQIDBAU")], [1, 2, 3, 4, 5]);
});

test("a P-256 public key decodes to its 65 bytes, the first 0x04", () => {
  const key = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM";
  const bytes = base64UrlBytes(key);
  assert.equal(bytes.length, 65);
  assert.equal(bytes[0], 0x04);
  assert.equal(sameKey(bytes.slice().buffer, bytes), true);
  const other = bytes.slice();
  other[64] ^= 1;
  assert.equal(sameKey(other.buffer, bytes), false);
  assert.equal(sameKey(null, bytes), false);
  assert.equal(sameKey(new ArrayBuffer(64), bytes), false);
});
