// Plural forms by the locale's CLDR rules (Intl.PluralRules), for catalog messages that count.
// English and German only tell "one" from "other", but the catalogs do not assume it.

const rules = new Map<string, Intl.PluralRules>()

export type PluralForms = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string }

/** The form of `forms` that the locale's plural rules choose for `n` ("other" when missing). */
export function plural (locale: string, n: string | number | undefined, forms: PluralForms): string {
  let rule = rules.get(locale)
  if (rule == null) { rule = new Intl.PluralRules(locale); rules.set(locale, rule) }
  return forms[rule.select(Number(n))] ?? forms.other
}
