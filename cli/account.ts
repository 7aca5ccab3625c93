// `oht account create|list|export|import|sign|verify|delegate|delete|encrypt|decrypt`: account
// keys (Ed25519, or secp256k1 for Ethereum) in encrypted keystore files (OHT_PASSPHRASE unlocks
// them), message signatures, sealed boxes to an account, and the delegation certificates that
// let a node act for an account (remote pinning). docs/PINNING.md "Key hierarchy".
import type { Command } from 'commander'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { resolveDataDir } from '../src/node/identity/datadir.ts'
import { canPrompt, ensurePassphrase, readHidden } from './passphrase.ts'
import type * as AccountsModule from '../src/node/identity/accounts.ts'
import type * as KeystoreModule from '../src/node/identity/keystore.ts'
import type * as AccountKeysModule from '../src/node/identity/account-keys.ts'
import { makeOutput, persistentDataDir, withService, type GlobalOptions } from './context.ts'
import { parseDuration } from './units.ts'
import { t } from './i18n/index.ts'

function globals (cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>()
}

const passphrase = (): string => process.env.OHT_PASSPHRASE ?? ''

// The key modules bring the elliptic-curve libraries: loaded before an account command runs
// (a hook of `oht account`), not when the command line is only read or its help shown.
let accountsLib: typeof AccountsModule
let keystoreLib: typeof KeystoreModule
let accountKeysLib: typeof AccountKeysModule
async function loadKeyModules (): Promise<void> {
  [accountsLib, keystoreLib, accountKeysLib] = await Promise.all([
    import('../src/node/identity/accounts.ts'), import('../src/node/identity/keystore.ts'), import('../src/node/identity/account-keys.ts')
  ])
}

export function registerAccount (program: Command): void {
  const account = program.command('account').description(t('account.description'))
  account.hook('preAction', loadKeyModules)

  account.command('create')
    .description(t('account.create.description'))
    .option('--label <name>', t('account.create.optLabel'), '')
    .option('--kind <kind>', t('account.create.optKind'), 'ed25519')
    .action(async (opts: { label: string, kind: string }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const kind = accountKeysLib.checkKind(opts.kind)
      if (process.env.OHT_PASSPHRASE == null) out.warn(t('account.noPassphrase'))
      const a = await accountsLib.createAccount(persistentDataDir(g, 'oht account'), passphrase(), opts.label, kind)
      out.result(a, t('account.create.done', { id: a.id, path: a.path }) + (a.address != null ? '\n' + t('account.create.address', { address: a.address }) : ''))
    })

  account.command('list')
    .description(t('account.list.description'))
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const dataDir = persistentDataDir(g, 'oht account')
      // The keystores name their accounts only inside: listing unlocks them.
      await ensurePassphrase(dataDir, { accounts: true })
      const all = await accountsLib.listAccounts(dataDir, passphrase())
      out.result({ accounts: all }, all.length === 0 ? t('account.list.empty') : all.map(a => `${a.id}${a.address != null ? `  ${a.address}` : ''}${a.label !== '' ? `  ${a.label}` : ''}`).join('\n'))
    })

  account.command('export')
    .description(t('account.export.description'))
    .argument('[account-id]', t('account.argId'))
    .option('-o, --output <file>', t('account.export.optOutput'))
    .option('--v3', t('account.export.optV3'))
    .action(async (id: string | undefined, opts: { output?: string, v3?: boolean }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const dataDir = persistentDataDir(g, 'oht account')
      await ensurePassphrase(dataDir, { accounts: true })
      const resolved = await accountsLib.resolveAccountId(dataDir, id, passphrase())
      const text = opts.v3 === true ? await accountsLib.exportV3Account(dataDir, resolved, passphrase()) : await accountsLib.exportAccount(dataDir, resolved, passphrase())
      if (opts.output != null) {
        await writeFile(opts.output, text, { mode: 0o600, flag: 'wx' })
        out.result({ path: opts.output }, t('account.export.done', { path: opts.output }))
      } else if (out.json) out.result({ keystore: JSON.parse(text) as unknown }, '')
      else process.stdout.write(text)
    })

  account.command('import')
    .description(t('account.import.description'))
    .argument('<file>', t('account.import.argFile'))
    .option('--v3', t('account.import.optV3'))
    .action(async (file: string, opts: { v3?: boolean }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const text = await readFile(file, 'utf8')
      const a = opts.v3 === true ? await accountsLib.importV3Account(persistentDataDir(g, 'oht account'), text, passphrase()) : await accountsLib.importAccount(persistentDataDir(g, 'oht account'), text, passphrase())
      out.result(a, t('account.import.done', { id: a.id }))
    })

  account.command('sign')
    .description(t('account.sign.description'))
    .argument('<message>', t('account.argMessage'))
    .option('--account <id>', t('account.optAccount'))
    .action(async (message: string, opts: { account?: string }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const dataDir = persistentDataDir(g, 'oht account')
      await ensurePassphrase(dataDir, { accounts: true })
      const a = await accountsLib.loadAccount(dataDir, await accountsLib.resolveAccountId(dataDir, opts.account, passphrase()), passphrase())
      const signature = accountsLib.signMessage(a, Buffer.from(message, 'utf8'))
      out.result({ account: a.id, signature }, signature)
    })

  account.command('verify')
    .description(t('account.verify.description'))
    .argument('<account-id>', t('account.argId'))
    .argument('<message>', t('account.argMessage'))
    .argument('<signature>', t('account.verify.argSignature'))
    .action(async (id: string, message: string, signature: string, _opts, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const valid = accountsLib.verifyMessage(accountKeysLib.isEthAddress(id) ? id : accountsLib.checkAccountId(id), Buffer.from(message, 'utf8'), signature)
      if (!valid) throw new Error(t('account.verify.invalid'))
      out.result({ valid }, t('account.verify.valid'))
    })

  account.command('delegate')
    .description(t('account.delegate.description'))
    .option('--account <id>', t('account.optAccount'))
    .option('--node <node-id>', t('account.delegate.optNode'))
    .option('--ttl <duration>', t('account.delegate.optTtl'), '30d')
    .action(async (opts: { account?: string, node?: string, ttl: string }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const dataDir = persistentDataDir(g, 'oht account')
      await ensurePassphrase(dataDir, { accounts: true })
      const a = await accountsLib.loadAccount(dataDir, await accountsLib.resolveAccountId(dataDir, opts.account, passphrase()), passphrase())
      const nodeId = opts.node ?? await withService(g, out, async service => await service.pins.nodeId())
      const cert = accountsLib.delegate(a, nodeId, parseDuration(opts.ttl))
      out.result({ cert: accountsLib.formatCert(cert), account: cert.account, node: cert.node, expiresAt: cert.expiresAt }, accountsLib.formatCert(cert))
    })

  account.command('passwd')
    .description(t('account.passwd.description'))
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const dataDir = resolveDataDir(g.dataDir)
      const keystore = join(dataDir, 'keystore.json')
      const hasKeystore = await stat(keystore).then(() => true, () => false)
      const accounts = await accountsLib.accountKeystorePaths(dataDir)
      if (!hasKeystore && accounts.length === 0) throw new Error(t('account.passwd.nothing', { dataDir }))
      const protectedNow = (await Promise.all([...(hasKeystore ? [keystore] : []), ...accounts].map(keystoreLib.keystoreFileIsProtected))).includes(true)
      // OHT_PASSPHRASE / OHT_NEW_PASSPHRASE for scripts; else asked for on the terminal.
      let current = process.env.OHT_PASSPHRASE
      if (current == null) current = protectedNow && canPrompt() ? await readHidden(t('passphrase.current')) : ''
      let next = process.env.OHT_NEW_PASSPHRASE
      if (next == null) {
        if (!canPrompt()) throw new Error(t('account.passwd.noTerminal'))
        next = await readHidden(t('passphrase.new'))
        if (await readHidden(t('passphrase.repeat')) !== next) throw new Error(t('account.passwd.mismatch'))
      }
      // Every keystore is unlocked before any is rewritten: a wrong passphrase changes nothing.
      if (hasKeystore) await keystoreLib.readKeystore(keystore, current)
      const changed = await accountsLib.changeAccountPassphrases(dataDir, current, next)
      if (hasKeystore) await keystoreLib.changeKeystorePassphrase(keystore, current, next)
      if (next === '') out.warn(t('account.passwd.none'))
      out.result({ keystore: hasKeystore, accounts: changed, protected: next !== '' }, t('account.passwd.done', { accounts: changed }))
    })
  registerAccountBoxes(account)
}

async function readInput (file: string): Promise<Buffer> {
  if (file !== '-') return await readFile(file)
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

async function writeOutput (bytes: Uint8Array, output: string | undefined, json: boolean, out: ReturnType<typeof makeOutput>): Promise<void> {
  if (output != null) {
    await writeFile(output, bytes, { mode: 0o600, flag: 'wx' })
    out.result({ path: output, bytes: bytes.length }, '')
  } else if (json) out.result({ data: Buffer.from(bytes).toString('base64') }, '')
  else process.stdout.write(bytes)
}

/** `oht account delete|encrypt|decrypt` (appended: cli/account.ts grows at its end). */
function registerAccountBoxes (account: Command): void {
  account.command('delete')
    .description(t('account.delete.description'))
    .argument('<account-id>', t('account.argId'))
    .option('--yes', t('account.delete.optYes'))
    .action(async (id: string, opts: { yes?: boolean }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const dataDir = resolveDataDir(g.dataDir)
      await ensurePassphrase(dataDir, { accounts: true })
      const resolved = await accountsLib.resolveAccountId(dataDir, id, passphrase())
      if (opts.yes !== true) throw new accountsLib.AccountError('account.needsYes', { id: resolved }, `deleting account ${resolved} cannot be undone (export it first): add --yes`)
      const a = await accountsLib.deleteAccount(dataDir, resolved, passphrase())
      out.result({ deleted: a.id }, t('account.delete.done', { id: a.id }))
    })

  account.command('encrypt')
    .description(t('account.encrypt.description'))
    .argument('<account>', t('account.encrypt.argAccount'))
    .argument('<file>', t('account.encrypt.argFile'))
    .option('-o, --output <file>', t('account.encrypt.optOutput'))
    .action(async (to: string, file: string, opts: { output?: string }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      // A full public key needs no keystore here: that is how one seals to someone else's account.
      // A label or a prefix is looked up in the keystores, which that unlocks.
      const own = async (): Promise<string> => {
        const dataDir = resolveDataDir(g.dataDir)
        await ensurePassphrase(dataDir, { accounts: true })
        return await accountsLib.resolveAccountId(dataDir, to, passphrase())
      }
      const id = accountKeysLib.isAccountId(to.trim().toLowerCase()) ? to.trim().toLowerCase() : await own()
      await writeOutput(accountsLib.encryptTo(id, await readInput(file)), opts.output, out.json, out)
    })

  account.command('decrypt')
    .description(t('account.decrypt.description'))
    .argument('<account-id>', t('account.argId'))
    .argument('<file>', t('account.decrypt.argFile'))
    .option('-o, --output <file>', t('account.decrypt.optOutput'))
    .action(async (id: string, file: string, opts: { output?: string }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const dataDir = resolveDataDir(g.dataDir)
      const box = await readInput(file)
      await ensurePassphrase(dataDir, { accounts: true })
      const a = await accountsLib.loadAccount(dataDir, await accountsLib.resolveAccountId(dataDir, id, passphrase()), passphrase())
      await writeOutput(accountsLib.decryptWith(a, box), opts.output, out.json, out)
    })
}
