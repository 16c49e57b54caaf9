/**
 * Generated container names, `adjective_surname` as Docker makes them: an
 * adjective and the surname of a scientist or engineer. Our own lists.
 */
import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'admiring', 'adoring', 'amazing', 'angry', 'awesome', 'beautiful', 'blissful', 'bold', 'brave', 'busy',
  'charming', 'clever', 'compassionate', 'competent', 'confident', 'cool', 'dazzling', 'determined', 'eager',
  'ecstatic', 'elastic', 'elegant', 'eloquent', 'epic', 'exciting', 'fervent', 'festive', 'focused', 'friendly',
  'frosty', 'funny', 'gallant', 'gifted', 'goofy', 'gracious', 'great', 'happy', 'hardcore', 'heuristic',
  'hopeful', 'hungry', 'infallible', 'inspiring', 'intelligent', 'interesting', 'jolly', 'jovial', 'keen',
  'kind', 'laughing', 'loving', 'lucid', 'magical', 'modest', 'musing', 'mystifying', 'naughty', 'nervous',
  'nice', 'nifty', 'nostalgic', 'objective', 'optimistic', 'peaceful', 'pensive', 'practical', 'priceless',
  'quirky', 'quizzical', 'recursing', 'relaxed', 'reverent', 'romantic', 'sad', 'serene', 'sharp', 'silly',
  'sleepy', 'stoic', 'strange', 'stupefied', 'suspicious', 'sweet', 'tender', 'thirsty', 'trusting',
  'unruffled', 'upbeat', 'vibrant', 'vigilant', 'vigorous', 'wizardly', 'wonderful', 'xenodochial',
  'youthful', 'zealous', 'zen',
];

const SURNAMES = [
  'agnesi', 'allen', 'archimedes', 'babbage', 'banach', 'bardeen', 'bartik', 'bassi', 'bell', 'bhabha',
  'blackwell', 'bohr', 'booth', 'borg', 'bose', 'brattain', 'brown', 'carson', 'cerf', 'chandrasekhar',
  'chaplygin', 'clarke', 'cohen', 'cori', 'cray', 'curie', 'darwin', 'davinci', 'dijkstra', 'dirac',
  'easley', 'einstein', 'elion', 'engelbart', 'euclid', 'euler', 'faraday', 'fermat', 'fermi', 'feynman',
  'franklin', 'galileo', 'gates', 'gauss', 'germain', 'goldberg', 'goldwasser', 'goodall', 'hamilton',
  'heisenberg', 'hermann', 'hertz', 'hodgkin', 'hofstadter', 'hopper', 'hypatia', 'jackson', 'jennings',
  'johnson', 'joliot', 'kapitsa', 'keller', 'kepler', 'khorana', 'kilby', 'knuth', 'kowalevski', 'lalande',
  'lamarr', 'lamport', 'leakey', 'leavitt', 'lederberg', 'lehmann', 'lewin', 'liskov', 'lovelace',
  'lumiere', 'mayer', 'mccarthy', 'mcclintock', 'meitner', 'mendel', 'mendeleev', 'merkle', 'mirzakhani',
  'morse', 'murdock', 'napier', 'nash', 'newton', 'nobel', 'noether', 'noyce', 'payne', 'perlman', 'pike',
  'poincare', 'ptolemy', 'raman', 'ramanujan', 'ride', 'ritchie', 'rosalind', 'sammet', 'shannon',
  'shockley', 'sinoussi', 'snyder', 'spence', 'stallman', 'swanson', 'swartz', 'tesla', 'thompson',
  'torvalds', 'turing', 'varahamihira', 'visvesvaraya', 'volhard', 'wescoff', 'wiles', 'williams',
  'wilson', 'wing', 'wozniak', 'wright', 'yalow', 'yonath',
];

/** A random name; `retry` > 0 appends a digit, as Docker does after a collision. */
export function generateName(retry = 0): string {
  const name = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}`;
  return retry > 0 ? `${name}${randomInt(10)}` : name;
}

/** Docker's rule for user-given names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, with an optional leading slash. */
export const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
