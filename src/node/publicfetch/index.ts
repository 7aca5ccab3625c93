// The zero-install fetch page (`oht daemon --public-fetch`, docs/WEBUI.md "Public fetch"): the
// node's side. The page's own code (checks and decryption in the browser) is web/pf/.
export * from './server.ts'
export * from './shares.ts'
