/** Wire types shared by several endpoint groups. */

export interface HealthConfig {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export interface IdResponse {
  Id: string;
}
