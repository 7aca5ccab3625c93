// One error shape for the people layer: a message for people, a code for programs (the API and
// the other side of a session get the code).
export class PeopleError<C extends string = string> extends Error {
  readonly code: C
  constructor (code: C, message: string) {
    super(message)
    this.code = code
  }
}
