/** What the people side reports to the node's API, console and web UI. */
export type PeopleEvent =
  | { type: 'contact-request', account: string, text: string, at: number }
  | { type: 'contact-accepted', account: string, contact: string }
  | { type: 'message', id: string, contact: string, account: string, text: string, at: number }
  /** A contact sent a file (`oht send --to`); `auto`: this node fetches it without asking. */
  | { type: 'file-offered', id: string, contact: string, account: string, name: string, bytes: number, auto: boolean }
  | { type: 'receipt', id: string, contact: string }
  | { type: 'contact-online', contact: string, account: string }
  | { type: 'contact-offline', contact: string, account: string }
  /** The contact gave its mailbox key: messages to it can wait in the DHT while it is offline. */
  | { type: 'mailbox-ready', contact: string, account: string }
  /** A contact (`via`, its petname) introduced `account`: `oht contact request <account>` to ask it. */
  | { type: 'introduction', account: string, via: string }
