// The daemon's web UI (docs/WEBUI.md): its server and guard, pages in pages/, messages in i18n/,
// assets from web/ (dist/web in a build).
export * from './control.ts'
export * from './server.ts'
export * from './guard.ts'
