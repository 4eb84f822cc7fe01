/** The shapes of Redmine's REST answers, as far as the tests read them. */

export interface Redmine {
  url: string;
  apiKey: string;
}

export interface RmRef {
  id: number;
  name: string;
}

export interface RmCustomValue {
  id: number;
  name: string;
  multiple?: boolean;
  value: string | string[] | null;
}

export interface RmJournalDetail {
  /** "attr" (issue column), "cf" (custom field, name = field id), "attachment", "relation". */
  property: string;
  name: string;
  old_value: string | null;
  new_value: string | null;
}

export interface RmJournal {
  id: number;
  user: RmRef;
  notes: string;
  created_on: string;
  private_notes: boolean;
  details: RmJournalDetail[];
}

export interface RmIssue {
  id: number;
  project: RmRef;
  tracker: RmRef;
  status: RmRef & { is_closed: boolean };
  priority: RmRef;
  author: RmRef;
  assigned_to?: RmRef;
  subject: string;
  description: string | null;
  start_date: string | null;
  due_date: string | null;
  done_ratio: number;
  is_private: boolean;
  estimated_hours: number | null;
  custom_fields?: RmCustomValue[];
  created_on: string;
  updated_on: string;
  closed_on: string | null;
  journals?: RmJournal[];
}

export interface RmProject {
  id: number;
  name: string;
  identifier: string;
  trackers: RmRef[];
}

export interface RmIssueList {
  issues: RmIssue[];
  total_count: number;
  offset: number;
  limit: number;
}

export interface RmStatus {
  id: number;
  name: string;
  is_closed: boolean;
}

export interface RmPriority {
  id: number;
  name: string;
  is_default: boolean;
  active: boolean;
}

export interface RmTracker {
  id: number;
  name: string;
  default_status: RmRef;
}

export type CustomFieldFormat = 'string' | 'text' | 'int' | 'float' | 'date' | 'bool' | 'list' | 'link';

export interface RmCustomField {
  id: number;
  name: string;
  field_format: CustomFieldFormat;
}
