// The 256 words of invite codes (`7-guitar-nebula`): one byte each, two per code. Common English
// nouns that are easy to say and type, sorted so that a word's index is its byte.
/** Sorted; a word's index is the byte it stands for. */
export const INVITE_WORDS: readonly string[] = Object.freeze([
  'acorn', 'actor', 'adobe', 'aerial', 'agenda', 'airport', 'album', 'alcove', 'alpine', 'amber',
  'anchor', 'angel', 'apple', 'apricot', 'arcade', 'arctic', 'armor', 'arrow', 'artist', 'aspen',
  'atlas', 'attic', 'autumn', 'badge', 'bagel', 'bakery', 'balcony', 'bamboo', 'banana', 'banjo',
  'barley', 'barrel', 'basil', 'basket', 'beacon', 'beaver', 'bedrock', 'beetle', 'bicycle',
  'bishop', 'blanket', 'blossom', 'bonfire', 'bottle', 'boulder', 'bracket', 'breeze', 'brick',
  'bridge', 'bronze', 'bubble', 'bucket', 'buffalo', 'butter', 'button', 'cabin', 'cactus',
  'camel', 'camera', 'candle', 'canoe', 'canyon', 'captain', 'caramel', 'carbon', 'carpet',
  'castle', 'cedar', 'cello', 'cement', 'cherry', 'chimney', 'cider', 'cinema', 'circus', 'citrus',
  'clover', 'cobalt', 'coconut', 'comet', 'compass', 'copper', 'coral', 'cotton', 'cowboy',
  'coyote', 'crater', 'cricket', 'crystal', 'dagger', 'daisy', 'dancer', 'delta', 'desert',
  'diamond', 'dinner', 'dolphin', 'domino', 'donkey', 'dragon', 'drummer', 'eagle', 'easel',
  'echo', 'eclipse', 'elbow', 'ember', 'engine', 'falcon', 'feather', 'fennel', 'ferry', 'fiddle',
  'figure', 'flannel', 'flute', 'forest', 'fossil', 'fountain', 'galaxy', 'garden', 'garlic',
  'gecko', 'ginger', 'glacier', 'goblet', 'gopher', 'granite', 'gravel', 'guitar', 'hammock',
  'harbor', 'harvest', 'hazel', 'helmet', 'heron', 'honey', 'horizon', 'iceberg', 'igloo',
  'indigo', 'island', 'ivory', 'jacket', 'jaguar', 'jasmine', 'jelly', 'jigsaw', 'jungle', 'kayak',
  'kernel', 'kettle', 'kiwi', 'ladder', 'lagoon', 'lantern', 'lemon', 'lettuce', 'lilac', 'linen',
  'lobster', 'locket', 'lotus', 'magnet', 'mango', 'maple', 'marble', 'meadow', 'melon', 'meteor',
  'mirror', 'mitten', 'monsoon', 'mosaic', 'muffin', 'nebula', 'nectar', 'noodle', 'nutmeg',
  'oasis', 'oatmeal', 'ocean', 'olive', 'onion', 'orbit', 'orchard', 'otter', 'oyster', 'paddle',
  'palace', 'panda', 'parrot', 'pebble', 'pepper', 'piano', 'pickle', 'pigeon', 'pilot', 'pirate',
  'planet', 'pocket', 'pony', 'poppy', 'potato', 'prairie', 'pretzel', 'pumpkin', 'puzzle',
  'quartz', 'quiver', 'rabbit', 'radar', 'radish', 'raven', 'ribbon', 'river', 'rocket', 'saddle',
  'saffron', 'salmon', 'sandal', 'shadow', 'silver', 'sketch', 'sparrow', 'spider', 'spinach',
  'squash', 'statue', 'summit', 'sunset', 'teapot', 'thistle', 'thunder', 'tiger', 'toffee',
  'tomato', 'tornado', 'trumpet', 'tulip', 'tundra', 'turtle', 'umbrella', 'valley', 'velvet',
  'violin', 'volcano', 'waffle', 'walnut', 'walrus', 'willow', 'window', 'wizard', 'yogurt',
  'zebra', 'zephyr'
])

const INDEX = new Map(INVITE_WORDS.map((w, i) => [w, i]))

/** The byte a word stands for, or undefined when it is not in the list. */
export function wordIndex (word: string): number | undefined {
  return INDEX.get(word)
}
