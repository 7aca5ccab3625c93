// The web UI's guard and HTML templates, without a browser: single-use tokens, sessions, the
// Host/Origin/fetch-metadata rules, and escaping (test/integration/webui.test.ts has the browser).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { Guard } from '../../src/node/webui/guard.ts'
import { html, raw } from '../../src/node/webui/html.ts'
import { localPath } from '../../src/node/webui/pages/layout.ts'

const req = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage

test('a login token works once; a wrong one opens nothing; stopping forgets every session', () => {
  const g = new Guard()
  g.cookie = 'oht_ui_7780'
  const token = g.mintToken()
  assert.equal(g.exchange(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')), undefined)
  const session = g.exchange(token)
  assert.ok(session != null && session.length >= 43)
  assert.equal(g.exchange(token), undefined, 'spent')
  assert.equal(g.hasSession(req({ cookie: `other=1; oht_ui_7780=${session}` })), true)
  assert.equal(g.hasSession(req({ cookie: `oht_ui_7781=${session}` })), false, 'another UI\'s cookie name')
  assert.equal(g.hasSession(req({})), false)
  assert.match(g.sessionCookie(session), /; HttpOnly; SameSite=Strict$/)
  g.reset()
  assert.equal(g.hasSession(req({ cookie: `oht_ui_7780=${session}` })), false)
})

test('only the own Host; Origin when sent must be ours, and state changes must send it; cross-site fetches refused', () => {
  const g = new Guard()
  g.allowHost('127.0.0.1:7780')
  const own = 'http://127.0.0.1:7780'
  assert.equal(g.checkRequest(req({ host: '127.0.0.1:7780' }), false), undefined)
  assert.equal(g.checkRequest(req({ host: 'rebind.example:7780' }), false)?.status, 403)
  assert.equal(g.checkRequest(req({ host: 'localhost:7780' }), false)?.status, 403)
  assert.equal(g.checkRequest(req({}), false)?.status, 403)
  assert.equal(g.checkRequest(req({ host: '127.0.0.1:7780', origin: own }), true), undefined)
  assert.equal(g.checkRequest(req({ host: '127.0.0.1:7780' }), true)?.status, 403, 'a POST without Origin')
  assert.equal(g.checkRequest(req({ host: '127.0.0.1:7780', origin: 'null' }), true)?.status, 403)
  assert.equal(g.checkRequest(req({ host: '127.0.0.1:7780', origin: 'http://127.0.0.1:9999' }), false)?.status, 403)
  for (const site of ['same-site', 'cross-site']) assert.equal(g.checkRequest(req({ host: '127.0.0.1:7780', 'sec-fetch-site': site }), false)?.status, 403, site)
  for (const site of ['same-origin', 'none']) assert.equal(g.checkRequest(req({ host: '127.0.0.1:7780', 'sec-fetch-site': site }), false), undefined, site)
})

test('templates escape every value; only raw() passes markup; redirects stay local', () => {
  const evil = '<script>alert("x")</script>&\''
  assert.equal(html`<p title="${evil}">${evil}</p>`.text, '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>')
  assert.equal(html`<ul>${['a<', html`<li>b</li>`]}</ul>`.text, '<ul>a&lt;<li>b</li></ul>')
  assert.equal(html`${raw('<svg/>')}`.text, '<svg/>')
  assert.equal(localPath('/shares?x=1'), '/shares?x=1')
  for (const bad of ['//evil.example/', 'http://evil.example/', '/\\evil', null]) assert.equal(localPath(bad, '/t'), '/t')
})
