// Invite codes on the node (src/people/invite does the protocol): InviteService.
export * from './service.ts'
export * from './contact-invites.ts'
export * from './contact-files.ts'
